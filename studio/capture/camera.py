"""Cameras and streams through cv2.VideoCapture, and a quick listing of the cameras this box has.

Opening asks for the configured size, rate and (where the device offers it) MJPG, which lets USB 2 cameras deliver
720p/1080p at full rate; what the driver actually granted is read back, because drivers round or ignore requests.
Every failure is a SourceError whose hint says what to check: which devices exist, permissions, another app.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import sys
from pathlib import Path

import cv2
import numpy as np

from studio.capture.files import to_bgr
from studio.core.errors import SourceError

log = logging.getLogger(__name__)

STREAM_SCHEMES = ("rtsp://", "rtsps://", "rtmp://", "http://", "https://", "udp://", "tcp://", "srt://")
# A live source that fails this many reads in a row has stopped; one miss is common while a camera settles.
MAX_FAILED_READS = 5
STREAM_TIMEOUT_MS = 3000


@dataclasses.dataclass
class CameraInfo:
    """One camera as the OS lists it. ``sizes`` is filled only when known without opening the device."""

    index: int | None
    path: str
    name: str
    sizes: list[tuple[int, int]] = dataclasses.field(default_factory=list)

    @property
    def uri(self) -> str | int:
        """What to pass to CameraSource."""
        return self.index if self.index is not None else self.path


def _read_text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return None


def _is_loopback(entry: Path, name: str) -> bool:
    """v4l2loopback nodes live under /sys/devices/virtual and carry a max_openers attribute; real cameras hang
    off a bus (usb, platform, pci)."""
    if "loopback" in name.lower() or name.startswith("Dummy video device"):
        return True
    if (entry / "max_openers").exists():
        return True
    try:
        return "/devices/virtual/" in str(entry.resolve())
    except OSError:
        return False


def list_cameras(sysfs: Path | str = "/sys", dev: Path | str = "/dev", *, probe: bool | None = None) -> list[CameraInfo]:
    """Cameras present now, capture nodes first by index.

    Linux reads /sys/class/video4linux (no device is opened, so it is instant and cannot hang). A UVC camera shows
    two nodes, one for pictures and one for metadata; sysfs ``index`` is 0 on the picture node, so the others are
    skipped. Loopback devices (our own virtual camera among them, whatever its card label) are skipped too: picking
    one as the input would feed Studio its own output.

    Elsewhere there is no listing without opening devices: ``probe`` (default on those systems) opens indices 0-3
    until one fails. That can take about a second per camera, so a GUI should call it off its main thread.
    """
    sysfs, dev = Path(sysfs), Path(dev)
    v4l = sysfs / "class" / "video4linux"
    if v4l.is_dir() or sys.platform.startswith("linux"):
        cams: list[CameraInfo] = []
        try:
            entries = sorted(v4l.iterdir()) if v4l.is_dir() else []
        except OSError:
            entries = []
        for entry in entries:
            m = re.fullmatch(r"video(\d+)", entry.name)
            if not m:
                continue
            node_index = _read_text(entry / "index")
            if node_index not in (None, "0"):
                continue  # metadata node of a camera listed already
            name = _read_text(entry / "name") or entry.name
            if _is_loopback(entry, name):
                continue
            cams.append(CameraInfo(index=int(m.group(1)), path=str(dev / entry.name), name=name))
        cams.sort(key=lambda c: c.index if c.index is not None else 1 << 30)
        return cams
    if probe is False:
        return []
    api = cv2.CAP_DSHOW if sys.platform == "win32" else cv2.CAP_ANY  # DirectShow opens faster than MSMF
    found = []
    for i in range(4):
        cap = cv2.VideoCapture(i, api)
        ok = cap.isOpened()
        cap.release()
        if not ok:
            break
        found.append(CameraInfo(index=i, path=str(i), name=f"Camera {i}"))
    return found


def parse_camera_uri(uri: str | int) -> str | int:
    """"0" and 0 are index 0; device paths and URLs stay strings."""
    if isinstance(uri, int):
        return uri
    text = uri.strip()
    if re.fullmatch(r"\d+", text):
        return int(text)
    return text


def _is_stream(uri: str | int) -> bool:
    return isinstance(uri, str) and uri.lower().startswith(STREAM_SCHEMES)


def _device_path(uri: str | int, dev: Path) -> Path | None:
    """The /dev node a Linux camera uri refers to (None for streams and non-Linux)."""
    if not sys.platform.startswith("linux") or _is_stream(uri):
        return None
    if isinstance(uri, int):
        return dev / f"video{uri}"
    return Path(uri)


def camera_hint(uri: str | int, *, sysfs: Path | str = "/sys", dev: Path | str = "/dev") -> str:
    """What to check when a camera does not open: the cameras that exist, permissions, another app holding it."""
    if _is_stream(uri):
        return "check the URL, that the stream is running and that this box can reach it (firewall, credentials)"
    parts = []
    cams: list[CameraInfo] = []
    if sys.platform.startswith("linux") or (Path(sysfs) / "class" / "video4linux").is_dir():
        cams = list_cameras(sysfs, dev, probe=False)  # sysfs only: an error path must not open devices
        parts.append("cameras found: " + (", ".join(f"{c.path} ({c.name})" for c in cams) if cams else "none"))
    path = _device_path(uri, Path(dev))
    if path is not None and path.exists() and not os.access(path, os.R_OK | os.W_OK):
        parts.append(f"no permission on {path}: add yourself to the 'video' group "
                     "(sudo usermod -aG video $USER) and log in again")
    elif path is not None and path.exists():
        parts.append("the device exists: another application (browser, video call, a second Studio) may be "
                     "holding it; close it and retry")
    elif cams:
        parts.append("choose one of those, or check that no other application is using the camera")
    elif sys.platform.startswith("linux"):
        parts.append("plug a camera in or choose the demo, a video file or an image as source")
    else:
        parts.append("check the camera index, that the camera is connected and that no other application uses it")
    if sys.platform == "darwin":
        parts.append("macOS: allow camera access for this app in System Settings > Privacy & Security > Camera")
    return "; ".join(parts)


class CameraSource:
    """A camera by index, device path or a stream URL. Live: ``read`` blocks until the driver delivers."""

    is_live = True

    def __init__(self, uri: str | int, width: int = 1280, height: int = 720, fps: float = 30.0, mjpg: bool = True,
                 *, sysfs: Path | str = "/sys", dev: Path | str = "/dev") -> None:
        self.uri = parse_camera_uri(uri)
        self.req_width, self.req_height, self.req_fps = int(width), int(height), float(fps)
        self.mjpg = mjpg
        self.name = f"camera:{self.uri}"
        self._sysfs, self._dev = Path(sysfs), Path(dev)
        self._cap: cv2.VideoCapture | None = None
        self._size = (0, 0)
        self._fps = float(fps)
        self.fourcc = ""
        self._failed_reads = 0
        self._first: np.ndarray | None = None  # the picture read while opening, handed out first

    @property
    def fps(self) -> float:
        return self._fps

    @property
    def size(self) -> tuple[int, int]:
        return self._size

    def _fail(self, message: str) -> SourceError:
        return SourceError(message, hint=camera_hint(self.uri, sysfs=self._sysfs, dev=self._dev))

    def open(self) -> None:
        self.close()
        path = _device_path(self.uri, self._dev)
        if path is not None and not path.exists():
            # Checked before OpenCV tries, which would only log a warning and wait.
            raise self._fail(f"camera {self.uri} not found ({path} does not exist)")
        if _is_stream(self.uri):
            params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, STREAM_TIMEOUT_MS, cv2.CAP_PROP_READ_TIMEOUT_MSEC,
                      STREAM_TIMEOUT_MS]
            cap = cv2.VideoCapture(self.uri, cv2.CAP_FFMPEG, params)
        elif sys.platform.startswith("linux"):
            cap = cv2.VideoCapture(self.uri, cv2.CAP_V4L2)
        else:
            cap = cv2.VideoCapture(self.uri)
        if not cap.isOpened():
            cap.release()
            raise self._fail(f"camera {self.uri} could not be opened")
        if not _is_stream(self.uri):
            self._configure(cap)
        ok, image = cap.read()
        if not ok or image is None:
            cap.release()
            raise self._fail(f"camera {self.uri} opened but delivers no picture")
        self._cap = cap
        self._first = image
        self._size = (image.shape[1], image.shape[0])
        got_fps = cap.get(cv2.CAP_PROP_FPS)
        self._fps = float(got_fps) if got_fps and 1.0 <= got_fps <= 240.0 else self.req_fps
        code = int(cap.get(cv2.CAP_PROP_FOURCC)) & 0xFFFFFFFF
        self.fourcc = "".join(chr((code >> (8 * i)) & 0xFF) for i in range(4)).strip("\x00") if code else ""
        if self._size != (self.req_width, self.req_height):
            log.info("%s: asked for %dx%d, the driver gives %dx%d", self.name, self.req_width, self.req_height,
                     *self._size)
        self._failed_reads = 0

    def _configure(self, cap: cv2.VideoCapture) -> None:
        # Order matters for V4L2: the pixel format first, then size, then rate (the rate list depends on both).
        if self.mjpg:
            cap.set(cv2.CAP_PROP_FOURCC, cv2.VideoWriter.fourcc(*"MJPG"))
        cap.set(cv2.CAP_PROP_FRAME_WIDTH, self.req_width)
        cap.set(cv2.CAP_PROP_FRAME_HEIGHT, self.req_height)
        cap.set(cv2.CAP_PROP_FPS, self.req_fps)
        # One buffered frame: we want the newest picture, not a queue of old ones (latency).
        cap.set(cv2.CAP_PROP_BUFFERSIZE, 1)

    def read(self) -> np.ndarray | None:
        if self._cap is None:
            raise SourceError(f"{self.name} is not open")
        if self._first is not None:
            image, self._first = self._first, None
            return np.ascontiguousarray(image)
        while True:
            try:
                ok, image = self._cap.read()
            except cv2.error as exc:  # a driver error mid-stream is a lost camera, not a crash of the thread
                raise self._fail(f"camera {self.uri} failed: {exc}") from None
            if ok and image is not None:
                self._failed_reads = 0
                return to_bgr(image)
            self._failed_reads += 1
            if self._failed_reads >= MAX_FAILED_READS:
                raise self._fail(f"camera {self.uri} stopped delivering pictures (unplugged or taken by another app?)")

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
        self._first = None
