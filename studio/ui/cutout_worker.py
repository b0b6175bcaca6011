"""The kiosk's still-cutout thread: one backend (created and used on this thread), one request at a time. The work
itself is the stills' one cutout function (studio.stills.cutout.cut_out); this module is only the Qt-free thread
hand-off.

A capture hands the frame over with ``request``; the result (an RGBA cutout, or the error) comes back through
``on_done`` on this thread; the kiosk re-emits it as a queued Qt signal. The backend is built on the first request,
not at start, so the kiosk opens at once; it is rebuilt when the model or backend setting changes.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from typing import Callable

import numpy as np

from studio.core.mailbox import LatestSlot
from studio.core.worker import Worker
from studio.stills.cutout import StillPrep, cut_out, open_still_segmenter

log = logging.getLogger(__name__)


@dataclass
class CutoutRequest:
    image_bgr: np.ndarray
    model: str
    backend: str
    device: str
    flicker: bool
    white_balance: bool
    shot_id: int
    quality: str = "fast"  # "best": several looks and models fused (studio.stills.quality), ~1 s on two cores


@dataclass
class CutoutResult:
    request: CutoutRequest
    rgba: np.ndarray | None  # HxWx4 uint8, straight (not premultiplied) alpha, for display
    image_bgr: np.ndarray | None  # after preprocessing: what is saved
    alpha: np.ndarray | None  # HxW float32 at the image's size
    error: BaseException | None
    seconds: float
    backend_label: str = ""


class CutoutWorker(Worker):
    POLL_S = 0.2

    def __init__(self, on_done: Callable[[CutoutResult], None], backend_factory: Callable | None = None) -> None:
        super().__init__("kiosk-cutout")
        self._requests: LatestSlot[CutoutRequest] = LatestSlot()
        self._on_done = on_done
        self._backend_factory = backend_factory
        self._segmenter = None
        self._key: tuple[str, str, str, str] | None = None
        self.busy = threading.Event()
        self.done_count = 0

    def request(self, req: CutoutRequest) -> None:
        self.busy.set()
        self._requests.put(req)

    def _wake(self) -> None:
        self._requests.close()

    def _run_once(self) -> bool:
        import time

        req = self._requests.get(timeout=self.POLL_S)
        if req is None:
            return not self._requests.closed
        t0 = time.perf_counter()
        image, alpha, rgba, error, label = None, None, None, None, ""
        try:
            key = (req.model, req.backend, req.device, req.quality)
            if self._segmenter is None or key != self._key:
                self._close_segmenter()
                self._segmenter = open_still_segmenter(req.model, req.backend, req.device, quality=req.quality,
                                                       factory=self._backend_factory)
                self._key = key
            cut = cut_out(self._segmenter, req.image_bgr,
                          prep=StillPrep(flicker=req.flicker, white_balance=req.white_balance))
            image, alpha, rgba = cut.image, cut.alpha, cut.rgba()
            label = self._segmenter.backend_label
        except Exception as exc:  # noqa: BLE001 - handed to the GUI as a banner; the shot stays for retry
            log.warning("cutout failed: %s", exc)
            error = exc
        self.done_count += 1
        self.busy.clear()
        self._on_done(CutoutResult(req, rgba, image, alpha, error, time.perf_counter() - t0, label))
        return True

    def _close_segmenter(self) -> None:
        if self._segmenter is not None:
            try:
                self._segmenter.close()
            finally:
                self._segmenter = None

    def _teardown(self) -> None:
        self._close_segmenter()
