"""The one bridge between the pipeline's threads and the GUI thread.

Frames: the pipeline's output thread calls ``_on_frame`` through a CallbackSink; it converts the composite into one of
three RGB buffers (allocated once per resolution) and puts it in a one-item slot. A queued ``frame_ready`` signal is
emitted only when the slot was empty, so however slowly the GUI paints, at most one notification is in flight and no
queue grows: the GUI takes the newest frame when it gets round to it and the older ones are simply overwritten.

Events: ``subscribe``'d callbacks run on pipeline threads and are re-emitted as queued ``event`` signals.
Stats: polled from the GUI thread on a QTimer (4 Hz by default), emitted as ``stats_updated``.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass

import cv2
import numpy as np
from PySide6.QtCore import QObject, QTimer, Signal, Slot
from PySide6.QtGui import QImage

from studio.core.stats import RateMeter
from studio.ui.qimage import bgr_to_qimage, rgb_to_qimage

log = logging.getLogger(__name__)


@dataclass
class PreviewFrame:
    """What the GUI gets: the composite as a QImage, and the captured frame and alpha (numpy, for before/after and
    kiosk capture). ``original`` is the capture buffer, never written after capture; ``alpha`` is a private copy
    only when the bridge was asked to keep alphas."""

    image: QImage
    original: np.ndarray
    alpha: np.ndarray | None
    frame_index: int
    t_capture: float
    has_alpha: bool

    def original_qimage(self) -> QImage:
        return bgr_to_qimage(self.original)


class _BufferRing:
    """Three RGB(A) buffers per shape: one the GUI is painting, one waiting in the slot, one being written."""

    def __init__(self) -> None:
        self._shape: tuple[int, ...] | None = None
        self._buffers: list[np.ndarray] = []

    def pick(self, shape: tuple[int, ...], busy: set[int]) -> np.ndarray:
        if shape != self._shape:
            self._shape = shape
            self._buffers = [np.empty(shape, np.uint8) for _ in range(3)]
        for buf in self._buffers:
            if id(buf) not in busy:
                return buf
        return np.empty(shape, np.uint8)  # cannot happen with three buffers and two busy; stay safe anyway


class PipelineBridge(QObject):
    frame_ready = Signal()
    event = Signal(object)  # PipelineEvent
    stats_updated = Signal(object)  # PipelineStats

    def __init__(self, parent: QObject | None = None, *, stats_interval_ms: int = 250, keep_alpha: bool = False):
        super().__init__(parent)
        self._lock = threading.Lock()
        self._slot: PreviewFrame | None = None
        self._notified = False
        self._shown: PreviewFrame | None = None
        self._ring = _BufferRing()
        self.keep_alpha = keep_alpha
        self.pipeline = None
        self._sink = None
        self._unsubscribe = None
        self._watching = True
        self.frames_received = 0
        self.frames_taken = 0
        self.paint_rate = RateMeter()
        self._timer = QTimer(self)
        self._timer.setInterval(stats_interval_ms)
        self._timer.timeout.connect(self.poll_stats)
        self.last_stats = None

    # -- wiring ----------------------------------------------------------------------------------------------
    def attach(self, pipeline) -> None:
        from studio.output import CallbackSink

        self.detach()
        self.pipeline = pipeline
        self._sink = CallbackSink(self._on_frame)
        self._sink.watching = self._watching
        pipeline.add_sink(self._sink)
        self._unsubscribe = pipeline.subscribe(self._on_event)
        self._timer.start()

    def set_watching(self, on: bool) -> None:
        """Whether the preview is on screen: a minimised window is nobody watching, so the pipeline may idle when
        the virtual camera has no reader either (studio.control.idle)."""
        self._watching = on
        if self._sink is not None:
            self._sink.watching = on

    def detach(self) -> None:
        self._timer.stop()
        if self.pipeline is not None:
            if self._unsubscribe is not None:
                self._unsubscribe()
            if self._sink is not None:
                try:
                    self.pipeline.remove_sink(self._sink)
                except Exception:  # noqa: BLE001 - a stopped pipeline may have dropped it already
                    log.debug("remove_sink on detach", exc_info=True)
        self.pipeline = None
        self._sink = None
        self._unsubscribe = None

    # -- pipeline threads ------------------------------------------------------------------------------------
    def _on_frame(self, frame) -> None:
        """Called on the output thread for every composited frame; must be quick and must copy what it keeps."""
        image = frame.image
        with self._lock:
            busy = {id(p.image._keep) for p in (self._slot, self._shown) if p is not None}  # noqa: SLF001
            shape = image.shape[:2] + (image.shape[2],)
            buf = self._ring.pick(shape, busy)
        qimg = bgr_to_qimage(image, out=buf)
        alpha = None
        if self.keep_alpha and frame.alpha is not None:  # a private copy at the frame's size (it may come smaller)
            h, w = frame.original.shape[:2]
            alpha = frame.alpha.copy() if frame.alpha.shape[:2] == (h, w) else \
                cv2.resize(frame.alpha, (w, h), interpolation=cv2.INTER_LINEAR)
        item = PreviewFrame(qimg, frame.original, alpha, frame.frame_index, frame.t_capture, image.shape[2] == 4)
        with self._lock:
            self._slot = item
            self.frames_received += 1
            notify = not self._notified
            self._notified = True
        if notify:
            self.frame_ready.emit()  # queued to the GUI thread: the bridge lives there

    def _on_event(self, event) -> None:
        self.event.emit(event)

    # -- GUI thread ------------------------------------------------------------------------------------------
    def take_frame(self) -> PreviewFrame | None:
        """The newest frame not yet taken (None if none); the previous one's buffer is free again after this."""
        with self._lock:
            item = self._slot
            self._slot = None
            self._notified = False
            if item is not None:
                self._shown = item
                self.frames_taken += 1
        if item is not None:
            self.paint_rate.tick()
        return item

    @property
    def latest(self) -> PreviewFrame | None:
        """The frame the GUI shows now (the last one taken)."""
        return self._shown

    @Slot()
    def poll_stats(self) -> None:
        if self.pipeline is None:
            return
        try:
            stats = self.pipeline.stats()
        except Exception as exc:  # noqa: BLE001 - a stats failure must not kill the GUI; shown once in the log
            log.warning("pipeline stats failed: %s", exc)
            return
        self.last_stats = stats
        self.stats_updated.emit(stats)

    def display_fps(self) -> float:
        return self.paint_rate.rate()

