"""Non-live sources read from disk: a video file (paced at its own fps, looping) and a still image."""

from __future__ import annotations

import logging
import math
import os
from pathlib import Path

import cv2
import numpy as np

from studio.capture.pacing import FramePacer
from studio.core.errors import SourceError
from studio.core.kinds import MOVING_SOURCE_SUFFIXES, STILL_SOURCE_SUFFIXES

log = logging.getLogger(__name__)

DEFAULT_FPS = 30.0
VIDEO_EXTENSIONS = MOVING_SOURCE_SUFFIXES
IMAGE_EXTENSIONS = STILL_SOURCE_SUFFIXES


def _existing_file(path: Path | str, what: str) -> Path:
    p = Path(path).expanduser()
    if not p.is_file():
        hint = "check the path" if not p.parent.is_dir() else f"no such file in {p.parent}"
        raise SourceError(f"{what} not found: {p}", hint=hint)
    return p


def to_bgr(image: np.ndarray) -> np.ndarray:
    """Grey and BGRA pictures become 3-channel BGR; everything leaves C-contiguous."""
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    return np.ascontiguousarray(image)


class VideoFileSource:
    """Frames of a video file at the file's own frame rate (``realtime=False``: as fast as it decodes).

    ``loop=True`` starts again at the end; otherwise ``read`` returns None once the file is exhausted.
    """

    is_live = False

    def __init__(self, path: Path | str, loop: bool = True, realtime: bool = True) -> None:
        self.path = Path(path).expanduser()
        self.loop = loop
        self.realtime = realtime
        self.name = f"file:{self.path.name}"
        self._cap: cv2.VideoCapture | None = None
        self._fps = DEFAULT_FPS
        self._size = (0, 0)
        self._pacer: FramePacer | None = None
        self.frames_read = 0
        self.loops = 0
        self._expected = 0  # frames the container says it holds (0: it does not say)
        self._pass_frames = 0  # frames read since the last rewind
        self._notice = ""
        self.damaged = False

    @property
    def fps(self) -> float:
        return self._fps

    @property
    def size(self) -> tuple[int, int]:
        return self._size

    def _open_capture(self) -> cv2.VideoCapture:
        # FFmpeg writes every decode error of a damaged file to stderr, again on every loop (36 lines in 15 s); the
        # user hears it once from us instead (see ``take_notice``). OpenCV reads this when it first loads FFmpeg, so
        # it is set before any capture opens; a value the user set (to debug a codec) is kept. -8 = AV_LOG_QUIET.
        os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
        cap = cv2.VideoCapture(str(self.path))
        if not cap.isOpened():
            cap.release()
            raise SourceError(f"cannot decode video file {self.path}",
                              hint="the container or codec is not supported by OpenCV's FFmpeg; "
                                   "convert it, e.g. ffmpeg -i in.xxx -c:v libx264 out.mp4")
        return cap

    def open(self) -> None:
        _existing_file(self.path, "video file")
        self.close()
        cap = self._open_capture()
        fps = cap.get(cv2.CAP_PROP_FPS)
        # Some containers report 0, NaN or absurd rates (1000 for variable-rate webm): fall back to a camera's.
        self._fps = float(fps) if fps and math.isfinite(fps) and 1.0 <= fps <= 240.0 else DEFAULT_FPS
        self._size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
        count = cap.get(cv2.CAP_PROP_FRAME_COUNT)
        self._expected = int(count) if count and math.isfinite(count) and count > 0 else 0
        self._pass_frames = 0
        self._cap = cap
        self._pacer = FramePacer(self._fps) if self.realtime else None

    def _rewind(self) -> bool:
        """Back to the first frame; reopening is the fallback for containers that cannot seek."""
        assert self._cap is not None
        if self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0):
            return True
        self._cap.release()
        self._cap = self._open_capture()
        return True

    def read(self) -> np.ndarray | None:
        if self._cap is None:
            raise SourceError(f"{self.name} is not open")
        if self._pacer is not None:
            self._pacer.wait()
        ok, image = self._cap.read()
        if not ok:
            self._check_complete()
            if not self.loop:
                return None
            if self.frames_read == 0:
                raise SourceError(f"video file {self.path} has no decodable frames",
                                  hint="the file may be truncated or use an unsupported codec")
            self._rewind()
            self.loops += 1
            self._pass_frames = 0
            ok, image = self._cap.read()
            if not ok:
                raise SourceError(f"video file {self.path} cannot be read again from the start",
                                  hint="the file may have been truncated or removed while playing")
        self.frames_read += 1
        self._pass_frames += 1
        image = to_bgr(image)
        self._size = (image.shape[1], image.shape[0])
        return image

    # A container's frame count is an estimate (from its duration) for some formats: a few frames short is normal.
    SHORT_SLACK = 0.05

    def _check_complete(self) -> None:
        """At the end of a pass: a file that ends well before the frame count its container gives is damaged or
        truncated. Said once per source (``take_notice``), not on every loop."""
        if self.damaged or not self._expected:
            return
        if self._pass_frames < self._expected * (1.0 - self.SHORT_SLACK) - 1:
            self.damaged = True
            self._notice = (f"video file {self.path.name} is damaged or truncated: it stops after "
                            f"{self._pass_frames} of its {self._expected} frames; playing what can be read")
            log.warning("%s", self._notice)

    def take_notice(self) -> str:
        """A message for the user that this source has not given yet ("" when none): the capture thread passes it on
        as a warning event, once."""
        notice, self._notice = self._notice, ""
        return notice

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None


def read_image(path: Path | str) -> np.ndarray:
    """A picture file as BGR uint8; works with non-ASCII paths (cv2.imread does not on Windows)."""
    p = _existing_file(path, "image")
    data = np.fromfile(str(p), dtype=np.uint8)
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise SourceError(f"cannot decode image {p}", hint="use a PNG, JPEG, BMP, WebP or TIFF file")
    return image


class ImageSource:
    """One still picture repeated at ``fps`` (for set-up, product shots, demos).

    Every read returns the same read-only array: frames are never written after capture, and sharing one array
    costs nothing per frame.
    """

    is_live = False

    def __init__(self, path: Path | str, fps: float = 30.0) -> None:
        self.path = Path(path).expanduser()
        self.name = f"image:{self.path.name}"
        self._fps = float(fps)
        self._image: np.ndarray | None = None
        self._pacer = FramePacer(self._fps)

    @property
    def fps(self) -> float:
        return self._fps

    @property
    def size(self) -> tuple[int, int]:
        return (0, 0) if self._image is None else (self._image.shape[1], self._image.shape[0])

    def open(self) -> None:
        image = np.ascontiguousarray(read_image(self.path))
        image.flags.writeable = False
        self._image = image
        self._pacer.reset()

    def read(self) -> np.ndarray | None:
        if self._image is None:
            raise SourceError(f"{self.name} is not open")
        self._pacer.wait()
        return self._image

    def close(self) -> None:
        self._image = None
