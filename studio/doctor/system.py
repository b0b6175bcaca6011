"""The box itself: Python and package versions, GPUs and their runtimes, temperature sensors."""

from __future__ import annotations

import importlib
import importlib.metadata as md
import importlib.util
import sys
from pathlib import Path

from studio.doctor.report import FAIL, INFO, OK, WARN, Check
from studio.doctor.roots import Roots, can_read_write, installer, read_text

# distribution -> import name; the first group is what the live job needs, the rest are optional extras.
REQUIRED = {"numpy": "numpy", "opencv-python-headless": "cv2", "onnxruntime": "onnxruntime", "openvino": "openvino",
            "PySide6-Essentials": "PySide6", "pyvirtualcam": "pyvirtualcam", "psutil": "psutil",
            "platformdirs": "platformdirs"}
OPTIONAL = {"onnxruntime-gpu": "onnxruntime", "tensorrt": "tensorrt", "nvidia-ml-py": "pynvml"}
# Never imported just for a version: Qt stays in studio.ui, runtimes behind studio.inference (import contracts).
_NO_IMPORT = {"PySide6", "tensorrt", "onnxruntime", "openvino", "pynvml"}
PCI_VENDORS = {"0x10de": "NVIDIA", "0x8086": "Intel", "0x1002": "AMD"}


def _version(dist: str, module: str) -> str | None:
    try:
        return md.version(dist)
    except md.PackageNotFoundError:
        pass
    if dist in ("onnxruntime", "onnxruntime-gpu"):  # the two share one import name: metadata alone tells them apart
        return None
    if importlib.util.find_spec(module) is None:
        return None
    if module in _NO_IMPORT:
        return "present"
    try:  # a frozen build may carry the module without its metadata
        return str(getattr(importlib.import_module(module), "__version__", "present"))
    except Exception:  # noqa: BLE001 - a broken install is reported as such
        return "broken"


def _installed(dist: str) -> bool:
    try:
        md.version(dist)
    except md.PackageNotFoundError:
        return False
    return True


def check_python() -> Check:
    from studio import __version__

    v = sys.version_info
    data = {"python": sys.version.split()[0], "executable": sys.executable, "frozen": bool(getattr(sys, "frozen", 0)),
            "studio": __version__}
    if v < (3, 10):
        return Check("python", "Python", FAIL, f"Python {data['python']} is too old (Studio needs 3.10+)",
                     "install Python 3.10 or newer (or use the standalone build)", data)
    build = " (standalone build)" if data["frozen"] else ""
    return Check("python", "Python", OK, f"Python {data['python']}{build}, studio {__version__}", "", data)


def check_packages() -> Check:
    versions = {d: _version(d, m) for d, m in {**REQUIRED, **OPTIONAL}.items()}
    data = {"versions": versions}
    missing = [d for d in REQUIRED if versions[d] is None and not (d == "onnxruntime" and versions["onnxruntime-gpu"])]
    listing = ", ".join(f"{d} {v}" for d, v in versions.items() if v)
    if versions.get("onnxruntime") and versions.get("onnxruntime-gpu"):
        return Check("packages", "Packages", WARN, "onnxruntime and onnxruntime-gpu are both installed: they share "
                     "one import name and whichever was installed last wins",
                     "pip uninstall -y onnxruntime onnxruntime-gpu && pip install onnxruntime-gpu", data)
    clash = [d for d in ("opencv-python", "opencv-contrib-python") if _installed(d)]
    if clash:
        return Check("packages", "Packages", WARN, f"{', '.join(clash)} is installed: its bundled Qt plugins clash "
                     "with PySide6 in one process", f"pip uninstall -y {' '.join(clash)} && pip install "
                     "--force-reinstall opencv-python-headless", data)
    if versions.get("PySide6-Essentials") == "6.12.0" and sys.version_info < (3, 12):
        return Check("packages", "Packages", WARN, "PySide6 6.12.0 aborts Python 3.11 after a few thousand signals",
                     "pip install 'PySide6-Essentials>=6.6,!=6.12.0'", data)
    if missing:
        gui_only = set(missing) <= {"PySide6-Essentials", "pyvirtualcam"}
        return Check("packages", "Packages", WARN if gui_only else FAIL, f"missing: {', '.join(missing)}",
                     f"pip install {' '.join(missing)}", data)
    return Check("packages", "Packages", OK, listing, "", data)


def _pci_gpus(roots: Roots) -> list[dict]:
    gpus = []
    try:
        entries = sorted((roots.sys / "bus" / "pci" / "devices").iterdir())
    except OSError:
        return gpus
    for e in entries:
        cls = read_text(e / "class") or ""
        if cls.startswith("0x03"):  # display controller
            vendor = read_text(e / "vendor") or ""
            gpus.append({"pci": e.name, "vendor": PCI_VENDORS.get(vendor, vendor), "device": read_text(e / "device")})
    return gpus


def _jetson(roots: Roots) -> str | None:
    release = read_text(roots.etc / "nv_tegra_release")
    model = (read_text(roots.proc / "device-tree" / "model") or "").strip("\x00")
    if release or "jetson" in model.lower():
        return (model or "Jetson") + (f", {release.splitlines()[0].lstrip('# ')}" if release else "")
    return None


def check_gpu(roots: Roots, available: dict[str, list[str]]) -> Check:
    gpus = _pci_gpus(roots)
    jetson = _jetson(roots)
    driver = read_text(roots.proc / "driver" / "nvidia" / "version")
    smi = roots.run(["nvidia-smi", "--query-gpu=name,driver_version,memory.total", "--format=csv,noheader"], 5.0)
    renders = sorted(p.name for p in (roots.dev / "dri").glob("renderD*")) if (roots.dev / "dri").is_dir() else []
    data = {"pci_gpus": gpus, "jetson": jetson, "nvidia_driver": driver.splitlines()[0] if driver else None,
            "nvidia_smi": smi[1].strip() if smi and smi[0] == 0 else None, "render_nodes": renders,
            "onnxruntime_devices": available.get("onnxruntime", []), "openvino_devices": available.get("openvino", []),
            "tensorrt": _version("tensorrt", "tensorrt")}
    nvidia = jetson or any(g["vendor"] == "NVIDIA" for g in gpus)
    intel = any(g["vendor"] == "Intel" for g in gpus)
    cuda = "cuda" in data["onnxruntime_devices"]
    ov_gpu = any(d.lower().startswith("gpu") for d in data["openvino_devices"])
    found = ", ".join(f"{g['vendor']} {g['device']} ({g['pci']})" for g in gpus) or (jetson or "")
    if not roots.linux:  # no sysfs to list GPUs: say what the runtimes can use, nothing more
        devices = sorted({d for devs in available.values() for d in devs if not d.lower().startswith("cpu")})
        return Check("gpu", "GPU", INFO, "GPUs are listed on Linux only; runtime devices besides the CPU: "
                     + (", ".join(devices) or "none"), "", data)
    if not nvidia and not gpus:
        return Check("gpu", "GPU", INFO, "no GPU found: Studio runs on the CPU (OpenVINO, ONNX Runtime)", "", data)
    if nvidia and not jetson and not driver and not data["nvidia_smi"]:
        return Check("gpu", "GPU", WARN, f"{found}: no NVIDIA driver loaded", "sudo ubuntu-drivers install "
                     "(or your distribution's NVIDIA driver package), then reboot", data)
    if nvidia and not cuda and not data["tensorrt"]:
        guide = installer("jetson.md") if jetson else "pip install 'studio[gpu]'"
        return Check("gpu", "GPU", WARN, f"{found}: no GPU runtime installed (ONNX Runtime has no CUDA provider, "
                     "no TensorRT), so inference runs on the CPU", guide if not jetson else f"follow {guide}", data)
    if intel and renders and not any(can_read_write(roots, roots.dev / "dri" / r) for r in renders):
        return Check("gpu", "GPU", WARN, f"{found}: this user may not use {renders[0]}",
                     "sudo usermod -aG render $USER, then log out and in again", data)
    if intel and not ov_gpu and not nvidia:
        return Check("gpu", "GPU", WARN, f"{found}: OpenVINO lists no GPU device (the Intel compute runtime is "
                     "missing)", "sudo apt install intel-opencl-icd (Intel's compute runtime), then run "
                     "`studio doctor` again", data)
    runtimes = [r for r, ok in (("CUDA (ONNX Runtime)", cuda), (f"TensorRT {data['tensorrt']}", data["tensorrt"]),
                                ("OpenVINO GPU", ov_gpu)) if ok]
    return Check("gpu", "GPU", OK, f"{found}; runtimes: {', '.join(runtimes) or 'none'}", "", data)


def check_sensors(roots: Roots, nvidia: bool = False) -> Check:
    from studio.telemetry import TemperatureSensors

    sensors = TemperatureSensors(roots.sys, use_psutil=not roots.linux, use_nvml=nvidia)
    try:
        readings = sensors.read()
    finally:
        sensors.close()
    data = {"readings": [{"source": r.source, "name": r.name, "label": r.label, "celsius": round(r.celsius, 1),
                          "kind": r.kind} for r in readings]}
    if not readings:
        return Check("sensors", "Temperature sensors", WARN, "none readable: the thermal governor cannot slow "
                     "inference down when the box runs hot",
                     "expected in a VM or container (the host owns the sensors); on bare metal: sudo apt install "
                     "lm-sensors && sudo sensors-detect --auto, then reboot", data)
    hottest = max(readings, key=lambda r: r.celsius)
    kinds = sorted({r.kind for r in readings})
    return Check("sensors", "Temperature sensors", OK, f"{len(readings)} found ({', '.join(kinds)}); hottest "
                 f"{hottest.describe()}", "", data)


def nvidia_present(roots: Roots) -> bool:
    return bool(_jetson(roots)) or Path(roots.proc / "driver" / "nvidia" / "version").is_file()
