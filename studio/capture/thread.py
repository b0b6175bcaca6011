"""The capture thread: owns the Source, stamps each picture into a Frame and puts it in the latest-frame slot.

A live source that fails (unplugged camera, dropped stream) is closed and reopened with exponential back-off while
the rest of the pipeline keeps showing the last frame; the UI hears about it through ``on_event``.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable

from studio.capture.base import Source
from studio.core.errors import SourceError
from studio.core.frame import Frame
from studio.core.kinds import EventKind
from studio.core.mailbox import LatestSlot
from studio.core.stats import RateMeter
from studio.core.worker import Worker

log = logging.getLogger(__name__)

EventCallback = Callable[[str, str], None]
PAUSE_POLL_S = 0.5  # while paused: a fallback wake-up (resume() and stop() poke the thread at once)


@dataclass(frozen=True, slots=True)
class CaptureStats:
    """What the capture thread publishes (replaced whole on every frame and every change of state)."""

    source_name: str = ""
    source_fps: float = 0.0  # what the source claims (the output measures the real rate itself)
    frames: int = 0
    lost: bool = False
    finished: bool = False
    reconnects: int = 0


class CaptureThread(Worker):
    """Reads ``source`` on its own thread into ``slot`` (a new LatestSlot when None).

    Events passed to ``on_event(kind, message)``: "source-lost" (with the error and its hint), "source-recovered",
    "source-changed" (after ``swap_source``), "source-finished" (end of a file that does not loop; the thread
    then stops with ``finished`` True) and "source-warning" (a source's ``take_notice()``: a damaged file, once).
    A non-live source that cannot be opened at all fails the thread at once
    (state FAILED, ``error`` set): retrying a missing file helps nobody.
    """

    def __init__(self, source: Source, slot: LatestSlot[Frame] | None = None, *,
                 on_event: EventCallback | None = None, retry_initial: float = 0.5, retry_max: float = 5.0) -> None:
        super().__init__("capture")
        self.slot: LatestSlot[Frame] = slot if slot is not None else LatestSlot()
        self.on_event = on_event
        self.retry_initial, self.retry_max = retry_initial, retry_max
        self.fps = RateMeter()
        self.frames = 0
        self.finished = False
        self.lost = False
        self.last_error: str = ""
        self.reconnects = 0
        self._source = source
        self._pending: Source | None = None
        self._lock = threading.Lock()
        self._poke = threading.Event()  # wakes a back-off wait for stop() and swap_source()
        self._open = False
        self._ever_opened = False
        self._backoff = retry_initial
        self._index = 0
        self._paused = False  # the output idles (nobody watches): read nothing; see pause()
        self._release_paused = False
        self._released = False  # closed by pause(release=True): reopening it is no reconnect
        self.stats = CaptureStats()
        self._publish()

    # -- public ------------------------------------------------------------------------------------------------
    @property
    def source(self) -> Source:
        return self._source

    @property
    def dropped(self) -> int:
        """Frames replaced in the slot before anyone took them (the consumer is slower than the source)."""
        return self.slot.dropped

    def swap_source(self, source: Source) -> None:
        """Use ``source`` from the next frame on; the old one is closed on the capture thread."""
        with self._lock:
            if self._thread is None:  # not started yet: nothing is open
                self._source = source
                self._publish()
                return
            self._pending = source
        self._poke.set()

    def pause(self, release: bool = False) -> None:
        """Read nothing until ``resume()`` (the output idles: nobody watches); ``release`` also closes the source,
        so a camera's light goes off (it takes longer to come back). Safe from any thread."""
        with self._lock:
            self._paused, self._release_paused = True, release
        self._poke.set()

    def resume(self) -> None:
        """Read again (reopening a source that ``pause(release=True)`` closed)."""
        with self._lock:
            self._paused = False
        self._poke.set()

    # -- worker hooks ------------------------------------------------------------------------------------------
    def _wake(self) -> None:
        self._poke.set()

    def _publish(self) -> None:
        source = self._source
        try:
            fps = float(source.fps or 0.0)
        except Exception:  # noqa: BLE001 - a source that cannot say its rate before it opens
            fps = 0.0
        self.stats = CaptureStats(source.name, fps, self.frames, self.lost, self.finished, self.reconnects)

    def _emit(self, kind: str, message: str) -> None:
        self._publish()
        warn = kind in (EventKind.SOURCE_LOST, EventKind.SOURCE_WARNING)
        log.log(logging.WARNING if warn else logging.INFO, "%s: %s", kind, message)
        if self.on_event is not None:
            try:
                self.on_event(kind, message)
            except Exception:  # noqa: BLE001 - a broken listener must not stop capture; it is logged
                log.exception("on_event listener failed for %s", kind)

    def _take_pending(self) -> None:
        with self._lock:
            new, self._pending = self._pending, None
        if new is None:
            return
        self._poke.clear()
        self._close_source()
        self._source = new
        self._ever_opened = False
        self.lost = False
        self._backoff = self.retry_initial
        self._emit(EventKind.SOURCE_CHANGED, new.name)

    def _close_source(self) -> None:
        if self._open:
            self._open = False
            try:
                self._source.close()
            except Exception:  # noqa: BLE001 - closing a dead device can fail; we are done with it anyway
                log.exception("closing %s failed", self._source.name)

    def _lose(self, exc: SourceError) -> None:
        self._close_source()
        self.last_error = str(exc)
        if not self.lost:
            self.lost = True
            self._emit(EventKind.SOURCE_LOST, f"{self._source.name}: {exc}")

    def _wait_backoff(self) -> None:
        delay = self._backoff
        self._backoff = min(self.retry_max, self._backoff * 2.0)
        self._poke.wait(delay)
        self._poke.clear()

    def _run_once(self) -> bool:
        self._take_pending()
        source = self._source
        if self._paused:
            if self._release_paused and self._open:
                self._close_source()
                self._released = True
            self._poke.wait(PAUSE_POLL_S)
            self._poke.clear()
            return True
        if not self._open:
            try:
                source.open()
            except SourceError as exc:
                if not self._ever_opened and not source.is_live:
                    raise
                self._lose(exc)
                self._wait_backoff()
                return True
            self._open = True
            if self._ever_opened and not self._released:
                self.reconnects += 1
            self._ever_opened, self._released = True, False
        try:
            image = source.read()
        except SourceError as exc:
            self._lose(exc)
            self._wait_backoff()
            return True
        finally:
            take_notice = getattr(source, "take_notice", None)  # optional: a damaged file says so once
            notice = take_notice() if take_notice is not None else ""
            if notice:
                self._emit(EventKind.SOURCE_WARNING, notice)
        if image is None:
            if source.is_live:
                self._lose(SourceError(f"{source.name} returned no picture"))
                self._wait_backoff()
                return True
            self.finished = True
            self._emit(EventKind.SOURCE_FINISHED, source.name)
            return False
        frame = Frame(image=image, index=self._index, t_capture=time.perf_counter(), source=source.name)
        self._index += 1
        self.slot.put(frame)
        self.frames += 1
        self.fps.tick(frame.t_capture)
        if self.lost:
            self.lost = False
            self._backoff = self.retry_initial
            self._emit(EventKind.SOURCE_RECOVERED, source.name)
        else:
            self._publish()
        return True

    def _teardown(self) -> None:
        self._close_source()
        with self._lock:
            self._pending = None  # never opened, nothing to close
