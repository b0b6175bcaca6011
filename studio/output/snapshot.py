"""Save the next composited frame as a picture when asked (a button in the GUI, a kiosk shot, an HTTP call)."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import Future
from pathlib import Path

import cv2
import numpy as np

from studio.core.atomic import atomic_path
from studio.core.errors import SinkError
from studio.output.base import OutputFrame
from studio.output.convert import flatten_bgra
from studio.output.writer import BackgroundWriter

log = logging.getLogger(__name__)

FORMATS = {".png": [cv2.IMWRITE_PNG_COMPRESSION, 3], ".webp": [cv2.IMWRITE_WEBP_QUALITY, 95],
           ".jpg": [cv2.IMWRITE_JPEG_QUALITY, 95], ".jpeg": [cv2.IMWRITE_JPEG_QUALITY, 95]}


def default_snapshot_dir() -> Path:
    import platformdirs

    return Path(platformdirs.user_pictures_dir()) / "Studio"


def encode_picture(image: np.ndarray, suffix: str) -> bytes:
    """PNG and WebP keep an alpha channel; JPEG gets BGRA flattened on white (it has none)."""
    suffix = suffix.lower()
    if suffix not in FORMATS:
        raise SinkError(f"cannot save a snapshot as {suffix or 'a file without extension'}",
                        hint="use .png (keeps transparency), .webp or .jpg")
    if image.ndim == 3 and image.shape[2] == 4 and suffix in (".jpg", ".jpeg"):
        image = flatten_bgra(image, np.empty(image.shape[:2] + (3,), np.uint8), (255, 255, 255))
    ok, data = cv2.imencode(suffix, image, FORMATS[suffix])
    if not ok:
        raise SinkError(f"encoding the snapshot as {suffix} failed")
    return data.tobytes()


class SnapshotSink:
    """``request()`` arms it; the next frame written is saved (atomically) on a background thread and the returned
    Future resolves to the file's path, or to a SinkError. Unarmed, ``write`` costs one check."""

    def __init__(self, folder: Path | str | None = None, fmt: str = "png") -> None:
        self._folder = Path(folder).expanduser() if folder else None
        self.fmt = "." + fmt.lower().lstrip(".")
        if self.fmt not in FORMATS:
            raise SinkError(f"unknown snapshot format {fmt!r}", hint="png, webp or jpg")
        self.name = "snapshot"
        self._lock = threading.Lock()
        self._pending: list[tuple[Path | None, Future]] = []
        self._armed = False
        self._thread: BackgroundWriter | None = None
        self.saved = 0

    @property
    def folder(self) -> Path:
        with self._lock:
            if self._folder is None:
                self._folder = default_snapshot_dir()
            return self._folder

    def set_folder(self, folder: Path | str | None) -> None:
        """Where the next time-stamped pictures go (None: the user's Pictures/Studio); safe from any thread."""
        with self._lock:
            self._folder = Path(folder).expanduser() if folder else None

    def request(self, path: Path | str | None = None) -> "Future[Path]":
        """Save the next frame to ``path`` (default: a time-stamped file in the folder)."""
        fut: Future = Future()
        fut.set_running_or_notify_cancel()
        with self._lock:
            self._pending.append((Path(path).expanduser() if path else None, fut))
            self._armed = True
        return fut

    @property
    def watching(self) -> bool:
        """Only while a snapshot waits for its frame: otherwise this sink does not keep the pipeline from idling
        (studio.control.idle)."""
        return self._armed

    def open(self, width: int, height: int, fps: float) -> None:
        if self._thread is None:
            self._thread = BackgroundWriter("snapshot", max_jobs=4)
            self._thread.start()

    def _target(self, path: Path | None, frame_index: int) -> Path:
        if path is not None:
            return path if path.suffix else path.with_suffix(self.fmt)
        stamp = time.strftime("%Y%m%d-%H%M%S")
        return self.folder / f"studio-{stamp}-{frame_index:06d}{self.fmt}"

    def write(self, frame: OutputFrame) -> None:
        if not self._armed:
            return
        with self._lock:
            pending, self._pending, self._armed = self._pending, [], False
        image = frame.image.copy()  # the compositor reuses its buffer for the next frame
        jobs = [(self._target(p, frame.frame_index), fut) for p, fut in pending]
        if self._thread is None or not self._thread.submit(lambda: self._save(image, jobs)):
            for _, fut in jobs:
                fut.set_exception(SinkError("snapshot could not be queued (sink closed or busy)", hint="try again"))

    def _save(self, image: np.ndarray, jobs: list[tuple[Path, Future]]) -> None:
        for target, fut in jobs:
            try:
                data = encode_picture(image, target.suffix)
                with atomic_path(target) as tmp:
                    tmp.write_bytes(data)
            except (OSError, SinkError) as exc:
                err = exc if isinstance(exc, SinkError) else SinkError(
                    f"cannot save snapshot {target}: {exc}", hint="check that the folder is writable")
                fut.set_exception(err)
                continue
            self.saved += 1
            log.info("snapshot saved to %s", target)
            fut.set_result(target)

    def close(self) -> None:
        if self._thread is not None:
            thread, self._thread = self._thread, None
            thread.close(timeout=10.0)
        with self._lock:
            pending, self._pending, self._armed = self._pending, [], False
        for _, fut in pending:
            fut.set_exception(SinkError("the output closed before a frame was taken", hint="start the output first"))
