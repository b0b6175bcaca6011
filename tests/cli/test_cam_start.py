"""`studio cam`'s way to its first frame stays light: what it imports (checked in a real subprocess, by the modules
loaded, never by time), a pre-flight that loads no runtime, a parser that builds only the command it runs, and the
process clock its cold-start marks are taken on."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest

# Nothing on `studio cam`'s way needs these: the GUI, the service, downloads, model editing, science libraries,
# OpenVINO's model converter and its telemetry, and the other commands' code.
NOT_FOR_CAM = ["PySide6", "fastapi", "starlette", "uvicorn", "pydantic", "huggingface_hub", "onnx", "scipy", "ray",
               "matplotlib", "openvino.tools.ovc", "openvino_telemetry", "studio.ui", "studio.server",
               "studio.bench", "studio.stills", "studio.doctor", "studio.cli.cmd_bench", "studio.cli.cmd_process",
               "studio.cli.cmd_gui", "studio.cli.cmd_serve", "studio.cli.cmd_models", "studio.cli.cmd_eval"]
RUNTIMES = ["onnxruntime", "openvino", "tensorrt"]
CAM = ["cam", "--source", "synthetic:moving", "--size", "320x180", "--model", "selfie", "--background", "blur",
       "--no-vcam", "--no-telemetry"]


def _python(code: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=120, env=env)


def _loaded(names: list[str]) -> str:
    return f"print(json.dumps(sorted(n for n in {names!r} if n in sys.modules)))"


def test_a_cam_run_imports_nothing_it_does_not_use(tmp_path):
    stats = tmp_path / "stats.json"
    code = ("import json, sys\nfrom studio.cli.main import main\n"
            f"rc = main(sys.argv[1:])\nprint(rc)\n{_loaded(NOT_FOR_CAM)}")
    out = _python(code, *CAM, "--duration", "1.5", "--stats-json", str(stats))
    assert out.returncode == 0, out.stderr
    rc, loaded = out.stdout.strip().splitlines()[-2:]
    assert rc == "0", out.stderr
    assert json.loads(loaded) == [], f"studio cam imported {loaded}"
    assert json.loads(stats.read_text())["cold_start"]["first_masked_frame"] > 0  # the model did run


def test_the_preflight_loads_no_runtime():
    """The runtimes load on the inference worker's thread while the first frames go out, not before them."""
    code = ("import json, sys\nfrom studio.cli.main import build_parser\n"
            "from studio.cli.cmd_cam import build_settings, preflight\n"
            "args = build_parser(sys.argv[1:]).parse_args(sys.argv[1:])\n"
            "preflight(args, build_settings(args))\n"
            f"{_loaded(RUNTIMES + NOT_FOR_CAM)}")
    out = _python(code, *CAM)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_a_broken_runtime_install_still_stops_with_the_preflight_message(tmp_path):
    """The quick pre-flight only finds the runtimes' packages; when they cannot load, the run ends as the full
    pre-flight would have ended it before the start: its message and hint, exit 2, no traceback."""
    for name in ("openvino", "onnxruntime"):
        (tmp_path / name).mkdir()
        (tmp_path / name / "__init__.py").write_text("raise ImportError('libbroken.so: cannot open shared object')\n")
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    out = subprocess.run([sys.executable, "-m", "studio", *CAM, "--duration", "30"], capture_output=True, text=True,
                         timeout=120, env=env)
    assert out.returncode == 2, out.stderr
    assert "studio: error: no inference runtime is installed" in out.stderr
    assert "hint: pip install onnxruntime" in out.stderr
    assert "Traceback" not in out.stderr


def test_the_parser_for_a_named_command_parses_as_the_full_one():
    from studio.cli.main import COMMANDS, build_parser, command_module

    full = build_parser()
    names = next(a for a in full._actions if a.dest == "command").choices
    assert sorted(command_module(n) for n in names) == sorted(COMMANDS)
    for argv in (CAM + ["--duration", "2"], ["-v", *CAM], ["models", "list"], ["process", "a.jpg", "-o", "out"]):
        one = build_parser(argv)
        assert list(next(a for a in one._actions if a.dest == "command").choices) == [argv[argv[0] == "-v"]]
        assert vars(one.parse_args(argv)) == vars(full.parse_args(argv))
    # No command or an unknown one: every command is there, for the help and the error's list
    for argv in ([], ["--help"], ["no-such-command"]):
        assert next(a for a in build_parser(argv)._actions if a.dest == "command").choices.keys() == names.keys()


def test_the_process_age_is_taken_on_the_boot_clock():
    """psutil's create_time counts from a boot time in whole seconds, so its age is too long by up to a second; ours
    is right to a clock tick. Taken around psutil's figure, ours brackets it from below: within a tick before, and
    less than a second after (no timing of work involved)."""
    import psutil

    from studio.telemetry.system import _linux_process_age_s

    if not sys.platform.startswith("linux"):
        pytest.skip("the boot-clock age is Linux's (/proc/self/stat)")
    before = _linux_process_age_s()
    theirs = time.time() - psutil.Process().create_time()
    after = _linux_process_age_s()
    assert before is not None and after is not None
    assert before - 0.011 <= theirs < after + 1.0


def test_openvino_loads_without_its_converter_and_keeps_it_on_demand():
    code = ("import sys\nfrom studio.inference.registry import backend_class\n"
            "devices = backend_class('openvino').available_devices()\n"
            "print(bool(devices), 'openvino.tools.ovc' in sys.modules, 'openvino_telemetry' in sys.modules)\n"
            "import openvino\nprint(callable(openvino.convert_model), 'openvino.tools.ovc' in sys.modules)\n"
            "try:\n    openvino.no_such_name\nexcept AttributeError:\n    print('AttributeError')\n")
    out = _python(code)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["True", "False", "False", "True", "True", "AttributeError"]


def test_opencvs_pool_is_told_not_to_spin_before_cv2_loads():
    """The pool reads its spin settings once, when cv2 loads: main sets them first; a user's own value stays."""
    code = ("import json, os, sys\nfrom studio.cli.main import QUIET_OPENCV_POOL, main\n"
            "before = 'cv2' in sys.modules\nmain([])\n"
            "print(json.dumps([before, {k: os.environ.get(k) for k in QUIET_OPENCV_POOL}]))")
    env = {k: v for k, v in os.environ.items() if not k.startswith("OPENCV_THREAD_POOL")}
    before, values = json.loads(_python(code, env=env).stdout.strip().splitlines()[-1])
    assert before is False and set(values.values()) == {"0"}
    env["OPENCV_THREAD_POOL_ACTIVE_WAIT_WORKER"] = "500"
    _, values = json.loads(_python(code, env=env).stdout.strip().splitlines()[-1])
    assert values["OPENCV_THREAD_POOL_ACTIVE_WAIT_WORKER"] == "500"
