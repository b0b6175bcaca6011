"""Checks a command makes before a long run, so that what would fail after a minute fails in a second, with a hint:
output files writable, the model file present with its checksum, the runtime installed, the source readable."""

from __future__ import annotations

from pathlib import Path

from studio.core.atomic import check_writable
from studio.core.errors import BackendUnavailable, SourceError
from studio.core.kinds import SourceKind

# How `studio` is reached after `make run` (the command lives in the project's virtual environment).
REACH = "(after `make run`: .venv/bin/studio, or `source .venv/bin/activate` first)"


def check_output(path: str | Path | None, what: str) -> Path | None:
    """``path`` expanded, after making sure a file can be written there (WriteError with a hint if not)."""
    if path is None or str(path) == "":
        return None
    return check_writable(Path(path), what)


def check_model(name: str) -> None:
    """The model is known, its file is there and its checksum matches (ModelError with a hint otherwise)."""
    from studio.models import default_registry

    default_registry().resolve(name)


def check_backend(backend: str, device: str, *, quick: bool = True) -> None:
    """The runtime asked for is installed and offers the device (auto: at least one runtime is installed).
    ``quick``: for auto on device auto, a CPU runtime's package being there is enough (see _cpu_runtime_installed);
    a run whose inference then cannot start checks again with ``quick=False``, for the same message."""
    from studio.inference.registry import BACKENDS, _missing, available_backends

    backend = (backend or "auto").lower()
    device = (device or "auto").lower()
    if backend != "auto" and backend not in BACKENDS:
        raise _missing(backend)
    if quick and backend == "auto" and device == "auto" and _cpu_runtime_installed():
        return
    available = available_backends()
    if backend == "auto":
        if not any(available.values()):
            raise BackendUnavailable("no inference runtime is installed",
                                     hint="pip install onnxruntime (or openvino) into Studio's environment")
        return
    devices = available.get(backend) or []
    if not devices:
        if BACKENDS.get(backend) is None:
            raise _missing(backend)
        raise BackendUnavailable(f"{backend} is not installed (or cannot start on this machine)",
                                 hint=f"pip install {backend} into Studio's environment, or use --backend auto")
    kind = device.replace(".", ":").partition(":")[0]
    if kind != "auto" and not any(d.lower().replace(".", ":").partition(":")[0] == kind for d in devices):
        raise BackendUnavailable(f"{backend} has no {device} device here (it has: {', '.join(devices)})",
                                 hint="use --device auto or one of those")


def _cpu_runtime_installed() -> bool:
    """A CPU runtime's package is there (found, not imported): auto on device auto can run. Importing the runtimes
    to list their devices costs ~0.2 s (OpenVINO ~0.14 s), on the main thread before the first frame; the inference
    worker imports them anyway, on its own thread, while the first frames go out. Only a runtime whose package is
    present but fails to import gets past this check: `studio cam` then checks in full after the worker's fatal
    error, and stops with this check's message."""
    import importlib.util

    from studio.inference.registry import cpu_order

    return any(importlib.util.find_spec(name) is not None for name, _ in cpu_order())


def check_source(source_settings) -> None:
    """Files and pictures are opened and one frame read now; cameras and streams are left to the run (they may
    take a few seconds to start, and the run says so when they do not)."""
    if source_settings.kind == SourceKind.CAMERA:
        _check_camera_device(source_settings.uri)
        return
    if source_settings.kind not in ("file", "image"):
        return
    from studio.capture.sources import make_source

    path = Path(source_settings.uri)
    try:
        with open(path, "rb") as fh:
            fh.read(1)
    except IsADirectoryError:
        raise SourceError(f"source {path} is a folder", hint="give a video or picture file") from None
    except OSError as exc:
        raise SourceError(f"cannot read source {path}: {exc.strerror or exc}",
                          hint="check the path and its permissions") from None
    src = make_source(source_settings)
    try:
        src.open()
        if src.read() is None:
            raise SourceError(f"source {path} has no frames", hint="check the file plays in a video player")
    except SourceError:
        raise
    except Exception as exc:  # a decoder's own error on a file that is not what its name says
        raise SourceError(f"cannot read source {path}: {exc}",
                          hint="check the file is a video or picture that plays elsewhere") from None
    finally:
        try:
            src.close()
        except Exception:
            pass


def _check_camera_device(uri: str) -> None:
    """On Linux a camera index or /dev path names a device node: one that does not exist fails now, with the list of
    cameras that do (opening it would only retry for seconds). URLs and other systems are left to the run."""
    import sys

    from studio.capture.camera import camera_hint, parse_camera_uri

    if not sys.platform.startswith("linux"):
        return
    parsed = parse_camera_uri(uri or "0")
    if isinstance(parsed, int):
        path = Path(f"/dev/video{parsed}")
    elif str(parsed).startswith("/dev/"):
        path = Path(parsed)
    else:
        return
    if not path.exists():
        raise SourceError(f"camera {uri} not found ({path} does not exist)", hint=camera_hint(parsed))
