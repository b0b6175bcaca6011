"""The virtual camera sink: composited frames become a webcam other apps (Zoom, Meet, OBS) can pick.

pyvirtualcam is imported when the sink opens, never at import. The output thread paces frames, so this sink does
not call ``sleep_until_next_frame``.
"""

from __future__ import annotations

import logging
import sys

import numpy as np

from studio.core.errors import SinkError
from studio.output.base import OutputFrame
from studio.output.convert import FrameConverter

log = logging.getLogger(__name__)

LINUX_LOOPBACK_CMD = 'sudo modprobe v4l2loopback devices=1 exclusive_caps=1 card_label="Studio"'


def vcam_hint(platform: str | None = None, device: str | None = None) -> str:
    """How to get a virtual camera device on ``platform`` (sys.platform style)."""
    platform = platform or sys.platform
    if platform.startswith("linux"):
        hint = (f"create a loopback camera: {LINUX_LOOPBACK_CMD} (package v4l2loopback-dkms; to keep it after a "
                "reboot add v4l2loopback to /etc/modules-load.d/); then restart the virtual camera")
        if device:
            hint += f"; or leave the device empty to use the first loopback device instead of {device}"
        return hint
    if platform == "win32":
        return ("install OBS Studio (28 or newer), start its Virtual Camera once from OBS and close OBS; "
                "Studio then uses the 'OBS Virtual Camera' device")
    if platform == "darwin":
        return ("install OBS Studio (28 or newer), start its Virtual Camera once and approve the system extension "
                "in System Settings; Studio then uses it")
    return "this system has no virtual camera support in pyvirtualcam"


class VirtualCameraSink:
    """``device``: a loopback device path (Linux) or device name; None takes the first one found.
    ``fmt``: "RGB" (works on every backend) or "BGR" (no colour conversion; v4l2loopback and OBS take it)."""

    def __init__(self, device: str | None = None, fmt: str = "RGB", backend: str | None = None) -> None:
        if fmt not in ("RGB", "BGR"):
            raise SinkError(f"virtual camera format {fmt!r} is not supported", hint="use RGB or BGR")
        self.device = device or None
        self.fmt = fmt
        self.backend = backend
        self.name = "virtual-camera"
        self._cam = None
        self._converter: FrameConverter | None = None
        self.frames = 0

    @property
    def opened_device(self) -> str | None:
        """The device the virtual camera actually went to (for the UI: "sending to /dev/video4")."""
        return None if self._cam is None else self._cam.device

    def open(self, width: int, height: int, fps: float) -> None:
        self.close()
        try:
            import pyvirtualcam
        except ImportError as exc:
            raise SinkError(f"the virtual camera needs pyvirtualcam, which cannot be imported ({exc})",
                            hint="pip install pyvirtualcam") from None
        fmt = pyvirtualcam.PixelFormat.RGB if self.fmt == "RGB" else pyvirtualcam.PixelFormat.BGR
        try:
            self._cam = pyvirtualcam.Camera(width=int(width), height=int(height), fps=float(fps), fmt=fmt,
                                            device=self.device, backend=self.backend)
        except (RuntimeError, ValueError) as exc:
            where = f" on {self.device}" if self.device else ""
            raise SinkError(f"cannot start the virtual camera{where}: {exc}",
                            hint=vcam_hint(device=self.device)) from None
        self._converter = FrameConverter(width, height, order=self.fmt)
        log.info("virtual camera on %s, %dx%d @ %.1f fps (%s)", self._cam.device, width, height, fps, self.fmt)

    def convert(self, image: np.ndarray) -> np.ndarray:
        """The array sent for ``image`` (exposed so the conversion can be checked without a device)."""
        if self._converter is None:
            raise SinkError("virtual camera is not open")
        return self._converter.convert(image)

    def write(self, frame: OutputFrame) -> None:
        if self._cam is None:
            raise SinkError("virtual camera is not open")
        try:
            self._cam.send(self.convert(frame.image))
        except RuntimeError as exc:  # the loopback device went away (module unloaded) or rejected the frame
            raise SinkError(f"the virtual camera stopped: {exc}", hint=vcam_hint(device=self.device)) from None
        self.frames += 1

    def close(self) -> None:
        if self._cam is not None:
            cam, self._cam = self._cam, None
            cam.close()
