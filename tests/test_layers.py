"""The layer rule of DESIGN.md, checked where import-linter cannot: runtimes and Qt stay lazy."""

import subprocess
import sys

HEAVY = ["onnxruntime", "openvino", "tensorrt", "PySide6", "pyvirtualcam", "pynvml", "onnx", "tflite"]

CODE = """
import importlib, pkgutil, sys
import studio
skip = ("studio.ui", "studio.cli.cmd_gui", "studio.__main__")
for m in pkgutil.walk_packages(studio.__path__, "studio."):
    if m.name.startswith(skip):
        continue
    importlib.import_module(m.name)
print(",".join(sorted(h for h in %r if h in sys.modules)))
"""


def test_importing_the_core_loads_no_runtime_and_no_qt():
    out = subprocess.run([sys.executable, "-c", CODE % (HEAVY,)], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"imported at module level: {out.stdout.strip()}"


def test_cli_help_lists_commands():
    out = subprocess.run([sys.executable, "-m", "studio", "--help"], capture_output=True, text=True, check=True)
    assert "models" in out.stdout
