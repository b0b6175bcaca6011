"""The doctor's other checks: GPU and runtimes, settings, models, engine cache; and `studio doctor` run for real."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from studio.doctor import run_checks
from studio.doctor.report import Check, Report
from studio.doctor.runtime import check_auto, check_engines, check_models, check_settings
from studio.doctor.system import check_gpu

from doctor_fakebox import FakeBox

CPU_ONLY = {"onnxruntime": ["cpu"], "openvino": ["cpu"], "tensorrt": []}


@pytest.fixture
def box(tmp_path) -> FakeBox:
    return FakeBox(tmp_path / "box")


def test_gpu_cases(box):
    assert check_gpu(box.roots(), CPU_ONLY).status == "info"
    box.pci_gpu("0x10de", "0x2684")
    c = check_gpu(box.roots(), CPU_ONLY)
    assert c.status == "warn" and "no NVIDIA driver" in c.summary and "ubuntu-drivers" in c.fix
    box.nvidia_driver()
    c = check_gpu(box.roots(), CPU_ONLY)
    assert c.status == "warn" and "no GPU runtime" in c.summary and "studio[gpu]" in c.fix
    assert c.data["nvidia_driver"].endswith("550.54.14")
    c = check_gpu(box.roots(), {**CPU_ONLY, "onnxruntime": ["cuda", "cpu"]})
    assert c.status == "ok" and "CUDA (ONNX Runtime)" in c.summary


def test_gpu_off_linux_reports_runtime_devices_only(box):
    c = check_gpu(box.roots(platform="win32"), {**CPU_ONLY, "onnxruntime": ["dml", "cpu"]})
    assert c.status == "info" and "Linux only" in c.summary and "dml" in c.summary


def test_jetson_points_at_the_guide(box):
    box.jetson()
    c = check_gpu(box.roots(), CPU_ONLY)
    assert c.status == "warn" and "Jetson Orin Nano" in c.summary and "jetson.md" in c.fix


def test_intel_gpu_without_compute_runtime_or_render_rights(box):
    box.pci_gpu("0x8086", "0x46a6", slot="0000:00:02.0")
    box.render_node()
    c = check_gpu(box.roots(), CPU_ONLY)
    assert c.status == "warn" and "intel-opencl-icd" in c.fix
    assert check_gpu(box.roots(), {**CPU_ONLY, "openvino": ["cpu", "gpu"]}).status == "ok"
    box.unwritable.add("renderD128")
    c = check_gpu(box.roots(), {**CPU_ONLY, "openvino": ["cpu", "gpu"]})
    assert c.status == "warn" and "usermod -aG render" in c.fix


def test_settings_that_do_not_parse_block_the_job(tmp_path, box):
    path = Path(os.environ["STUDIO_CONFIG_DIR"]) / "settings.toml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("[source\nkind = 1\n")
    check, settings = check_settings()
    assert check.status == "fail" and settings is None and "not valid TOML" in check.summary
    assert check.fix.startswith("mv ")
    path.write_text("[inference]\nmodel = 'nope'\n")
    r = run_checks(box.roots(), load_model=False, camera_probe=None).to_dict()
    models = next(c for c in r["checks"] if c["id"] == "models")
    assert models["status"] == "fail" and "'nope'" in models["summary"] and r["exit_code"] == 1
    path.write_text("[source]\nkind = 'synthetic'\n[output]\nvcam_device = '/dev/video10'\n")
    r = run_checks(box.roots(), load_model=False, camera_probe=None).to_dict()
    assert next(c for c in r["checks"] if c["id"] == "cameras")["status"] == "info"
    assert r["ok"] is True


def test_models_verified_and_a_corrupt_live_model(tmp_path, monkeypatch):
    c = check_models("selfie")
    assert c.status == "ok" and "selfie" in c.summary and "verified by sha256" in c.summary
    rows = {m["name"]: m for m in c.data["models"]}
    assert rows["selfie"]["state"] == "ok" and len(rows["selfie"]["sha256"]) == 64
    # A copy of the resources with one byte changed in the live model.
    import shutil

    from studio.core import paths

    res = tmp_path / "resources"
    shutil.copytree(paths.resources_dir() / "models", res / "models")
    p = res / "models" / "selfie_segmentation.onnx"
    data = bytearray(p.read_bytes())
    data[-1] ^= 1
    p.write_bytes(bytes(data))
    monkeypatch.setenv("STUDIO_RESOURCES_DIR", str(res))
    c = check_models("selfie")
    assert c.status == "fail" and "checksum mismatch" in c.summary and c.fix
    c = check_models("u2netp")
    assert c.status == "warn" and "selfie (checksum mismatch)" in c.summary


def test_engine_cache_states(tmp_path):
    root = tmp_path / "engines"
    assert check_engines({"a" * 64}, root).status == "info"
    (root / "openvino" / f"{'a' * 12}-cpu-0123456789abcdef").mkdir(parents=True)
    (root / "openvino" / f"{'a' * 12}-cpu-0123456789abcdef" / "blob").write_bytes(b"x" * 1000)
    c = check_engines({"a" * 64}, root)
    assert c.status == "ok" and "1 cached engine" in c.summary
    stale = root / "openvino" / f"{'b' * 12}-cpu-fedcba9876543210"
    stale.mkdir()
    c = check_engines({"a" * 64}, root)
    assert c.status == "warn" and str(stale) in c.fix and c.fix.startswith("rm -rf")


def test_auto_pick_loads_the_real_model():
    c = check_auto("selfie")
    assert c.status == "ok", c.summary
    assert c.data["chosen"] and c.data["infer_ms"] > 0 and "auto picks" in c.summary
    bad = check_auto("selfie", backend="onnxruntime", device="cuda")
    if bad.status == "fail":  # no CUDA here: a message and a fix, not a traceback
        assert bad.fix and "cannot be opened" in bad.summary


def test_report_rules_and_text():
    with pytest.raises(ValueError):
        Check("x", "X", "warn", "something", fix="")
    r = Report([Check("a", "A", "ok", "fine"), Check("b", "B", "fail", "broken", "do this")], {"studio": "0"})
    text = r.render()
    assert "FAIL  b" in text and "fix: do this" in text and "cannot run here: b" in text
    assert r.exit_code == 1 and r.to_dict()["main_job"] == {"can_run": False, "blocked_by": ["b"]}


def test_studio_doctor_for_real_on_this_box():
    """The real command on the real box. What it must say depends on the box, so each claim is checked against
    the system itself: no loopback module -> it says so, no video4linux -> no camera, and so on."""
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-m", "studio", "doctor", "--json", "--no-probe"], capture_output=True,
                          text=True, env=env, timeout=120)
    assert "Traceback" not in done.stderr, done.stderr
    r = json.loads(done.stdout)
    assert done.returncode == r["exit_code"] == (0 if r["ok"] else 1)
    checks = {c["id"]: c for c in r["checks"]}
    assert checks["auto"]["status"] == "ok" and checks["backends"]["status"] == "ok"
    assert checks["settings"]["data"]["path"].startswith(os.environ["STUDIO_CONFIG_DIR"])
    if sys.platform.startswith("linux"):
        if not Path("/sys/module/v4l2loopback").is_dir():
            assert checks["virtual_camera"]["status"] == "warn" and "v4l2loopback" in checks["virtual_camera"]["summary"]
        if not any(Path("/sys/class/video4linux").glob("video*")):
            assert checks["cameras"]["status"] == "fail" and "no camera found" in checks["cameras"]["summary"]
            assert r["exit_code"] == 1
        if not Path("/sys/firmware/efi").is_dir():
            assert checks["secure_boot"]["data"]["state"] in ("no-efi", "unknown")
        if not list(Path("/sys/class/thermal").glob("thermal_zone*")) and not Path("/sys/class/hwmon").is_dir():
            assert checks["sensors"]["status"] == "warn"
        if not list(Path("/sys/bus/pci/devices").glob("*/class")) and not Path("/etc/nv_tegra_release").exists():
            assert checks["gpu"]["status"] == "info"
    text = subprocess.run([sys.executable, "-m", "studio", "doctor", "--no-probe", "--no-load"], capture_output=True,
                          text=True, env=env, timeout=120)
    assert text.returncode == r["exit_code"] and "Result:" in text.stdout
