"""The PyInstaller one-folder build (installers/studio.spec): made, then `doctor` and `process` run from it, outside
the checkout and its virtual environment. Slow (minutes): marked slow, skipped without PyInstaller (the [build]
extra). STUDIO_STANDALONE_APP=<folder with the built studio> checks an existing build instead of making one."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

REPO = Path(__file__).resolve().parents[2]
SPEC = REPO / "installers" / "studio.spec"

pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]


@pytest.fixture(scope="module")
def app(tmp_path_factory) -> Path:
    given = os.environ.get("STUDIO_STANDALONE_APP")
    if given:
        return Path(given)
    if importlib.util.find_spec("PyInstaller") is None:
        pytest.skip("PyInstaller is not installed (pip install -e '.[build]')")
    out = tmp_path_factory.mktemp("pyinstaller")
    done = subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
                           "--distpath", str(out / "dist"), "--workpath", str(out / "work"), str(SPEC)],
                          capture_output=True, text=True, cwd=REPO, timeout=2300)
    assert done.returncode == 0, done.stderr[-4000:]
    return out / "dist" / "studio"


def _clean_env() -> dict[str, str]:
    """No trace of the checkout's Python: the app must carry everything itself."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME",
                                                           "STUDIO_RESOURCES_DIR")}
    env["PATH"] = "/usr/bin:/bin"
    return env


def test_built_app_runs_doctor(app, tmp_path):
    exe = app / ("studio.exe" if sys.platform == "win32" else "studio")
    assert exe.is_file()
    t0 = time.perf_counter()
    done = subprocess.run([str(exe), "--version"], capture_output=True, text=True, env=_clean_env(), cwd=tmp_path,
                          timeout=120)
    startup = time.perf_counter() - t0
    assert done.returncode == 0 and "studio" in done.stdout, done.stderr
    done = subprocess.run([str(exe), "doctor", "--json", "--no-probe"], capture_output=True, text=True,
                          env=_clean_env(), cwd=tmp_path, timeout=300)
    assert "Traceback" not in done.stderr, done.stderr
    report = json.loads(done.stdout)
    assert done.returncode == report["exit_code"]
    checks = {c["id"]: c for c in report["checks"]}
    assert report["frozen"] is True and checks["python"]["data"]["frozen"] is True
    assert checks["models"]["status"] == "ok", checks["models"]
    assert checks["auto"]["status"] == "ok", checks["auto"]
    assert checks["backends"]["data"]["available"]["onnxruntime"] and checks["backends"]["data"]["available"]["openvino"]
    assert "setup-virtualcam.sh" in checks["virtual_camera"]["fix"] or checks["virtual_camera"]["status"] == "ok"
    size = sum(p.stat().st_size for p in app.rglob("*") if p.is_file() and not p.is_symlink())
    print(f"\nstandalone app {app}: {size / 2**20:.0f} MiB; start-up (--version): {startup:.2f} s")


def test_built_app_processes_a_picture(app, tmp_path, shared_data):
    exe = app / ("studio.exe" if sys.platform == "win32" else "studio")
    picture = sorted((shared_data / "portraits" / "img").glob("*.jpg"))[0]
    out = tmp_path / "out"
    done = subprocess.run([str(exe), "process", str(picture), "-o", str(out), "--model", "selfie"],
                          capture_output=True, text=True, env=_clean_env(), cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    made = sorted(out.glob("*.png"))
    assert len(made) == 1
    rgba = np.asarray(Image.open(made[0]))
    assert rgba.shape[2] == 4
    alpha = rgba[..., 3]
    assert 0.05 < (alpha > 127).mean() < 0.95  # a subject cut out, not an empty or a full mask
