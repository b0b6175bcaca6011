"""Record composited frames to a video file; the file appears under its name only once it is complete.

Encoding runs on its own thread (5-15 ms a frame at 720p-1080p, too much for the output thread's budget). Frames are
copied into a small pool of buffers allocated once; when the encoder falls behind and the pool is empty a frame is
dropped from the recording (counted in ``dropped``) rather than delaying the live output.
"""

from __future__ import annotations

import logging
from collections import deque
from contextlib import ExitStack
from pathlib import Path

import cv2
import numpy as np

from studio.core.atomic import atomic_path
from studio.core.errors import SinkError
from studio.output.base import OutputFrame
from studio.output.convert import FrameConverter
from studio.output.writer import BackgroundWriter

log = logging.getLogger(__name__)

# Codecs that the opencv-python wheels' FFmpeg can encode (H.264 is not among them).
FOURCC_BY_EXTENSION = {".mp4": "mp4v", ".m4v": "mp4v", ".mov": "mp4v", ".mkv": "XVID", ".avi": "MJPG"}
POOL_FRAMES = 6


def fourcc_for(path: Path | str) -> str:
    ext = Path(path).suffix.lower()
    try:
        return FOURCC_BY_EXTENSION[ext]
    except KeyError:
        raise SinkError(f"cannot record to {ext or 'a file without extension'}",
                        hint=f"use one of {', '.join(sorted(FOURCC_BY_EXTENSION))}") from None


def _discard(stack: ExitStack) -> None:
    """Leave the atomic write as if it had failed: the temporary file is removed, the target untouched."""
    exc = SinkError("recording discarded")
    stack.__exit__(type(exc), exc, None)


class RecorderSink:
    """Records to ``path``; ``fourcc`` defaults by extension (mp4/mov: mp4v, mkv: XVID, avi: MJPG).

    BGRA frames (transparent background) are flattened on black: these containers and codecs carry no alpha.
    Frames of another size than the one opened are scaled to it (a writer silently skips mismatched frames).
    ``live=False`` (offline renders, tests) makes ``write`` wait for the encoder instead of dropping frames.
    """

    def __init__(self, path: Path | str, fourcc: str | None = None, *, pool_frames: int = POOL_FRAMES,
                 live: bool = True) -> None:
        self.path = Path(path).expanduser()
        self.fourcc = fourcc or fourcc_for(self.path)
        if len(self.fourcc) != 4:
            raise SinkError(f"fourcc must have 4 characters, got {self.fourcc!r}", hint="e.g. mp4v, MJPG, XVID")
        self.pool_frames = pool_frames
        self.live = live
        self.name = f"recorder:{self.path.name}"
        self.frames_written = 0
        self.frames_submitted = 0
        self.dropped = 0
        self._writer: cv2.VideoWriter | None = None
        self._thread: BackgroundWriter | None = None
        self._stack: ExitStack | None = None
        self._pool: deque[np.ndarray] = deque()
        self._converter: FrameConverter | None = None
        self._size = (0, 0)

    @property
    def recording(self) -> bool:
        return self._writer is not None

    def open(self, width: int, height: int, fps: float) -> None:
        self.close()
        stack = ExitStack()
        tmp = stack.enter_context(atomic_path(self.path, suffix=".part" + self.path.suffix))
        writer = cv2.VideoWriter(str(tmp), cv2.VideoWriter.fourcc(*self.fourcc), float(fps), (int(width), int(height)))
        if not writer.isOpened():
            writer.release()
            _discard(stack)
            raise SinkError(f"cannot record {self.fourcc} video to {self.path}",
                            hint="the codec may be missing from this OpenCV build; try an .avi (MJPG) or .mp4 file, "
                                 "and check that the folder is writable")
        self._stack, self._writer, self._size = stack, writer, (int(width), int(height))
        self._converter = FrameConverter(width, height, order="BGR")
        self._pool = deque(np.empty((int(height), int(width), 3), np.uint8) for _ in range(self.pool_frames))
        self.frames_written = self.frames_submitted = self.dropped = 0
        self._thread = BackgroundWriter("recorder", max_jobs=self.pool_frames)
        self._thread.start()
        log.info("recording %dx%d @ %.1f fps to %s", width, height, fps, self.path)

    def write(self, frame: OutputFrame) -> None:
        if self._writer is None or self._thread is None:
            raise SinkError("recorder is not open")
        if not self._pool and not self.live:
            self._thread.flush(timeout=10.0)
        try:
            buf = self._pool.popleft()
        except IndexError:
            self.dropped += 1
            return
        np.copyto(buf, self._converter.convert(frame.image))
        if not self._thread.submit(lambda w=self._writer, b=buf: self._encode(w, b)):
            self._pool.append(buf)
            self.dropped += 1
            return
        self.frames_submitted += 1

    def _encode(self, writer: cv2.VideoWriter, buf: np.ndarray) -> None:
        try:
            writer.write(buf)
            self.frames_written += 1
        finally:
            self._pool.append(buf)

    def close(self) -> None:
        """Finish encoding, then move the file into place. A recording without frames leaves no file."""
        if self._writer is None:
            return
        thread, writer, stack = self._thread, self._writer, self._stack
        self._thread = self._writer = self._stack = None
        error = None
        if thread is not None:
            if not thread.close(timeout=30.0):
                error = SinkError("the recorder did not finish encoding in time", hint="the disk may be too slow")
            elif thread.job_error is not None:
                error = SinkError(f"recording failed: {thread.job_error}", hint="check free disk space")
        writer.release()
        if error is None and self.frames_written > 0:
            stack.close()  # fsync and rename onto the target
            log.info("recorded %d frames to %s (%d dropped)", self.frames_written, self.path, self.dropped)
        else:
            _discard(stack)
        self._pool.clear()
        if error is not None:
            raise error
