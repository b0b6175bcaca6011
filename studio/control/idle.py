"""IdleControl: when nobody watches, stop working; when a reader comes, run again within a second.

"Nobody watches" means: the virtual camera is the only output that shows anything (a GUI preview or a recording is
somebody watching; the snapshot sink only while a snapshot is pending: a sink may say so with a ``watching``
attribute, and one without it always counts), and no other program has the camera's device open (a ReaderWatch on
the node, started once the camera is open and knows its device; our own writer's open is subtracted). After
``IDLE_AFTER_S`` of that (a program that lists cameras opens and closes each one within it), the pipeline idles:

- capture pauses (``live.release_camera_when_idle`` closes the camera too), so no frame is read or decoded;
- the output thread submits nothing, so inference stops (its worker waits on an empty slot);
- the virtual camera gets a still slate (studio.output.slate) once a second: the device keeps a writer, and a reader
  that opens it sees a picture at once.

A reader's open wakes the output thread through the watch at once; it resumes capture and the gate starts afresh
(the first frame runs inference). Events IDLE and WATCHED say so. Everything here runs on the output thread except
the watch's callback, which only sets an Event.

Where open/close cannot be watched (not Linux, no inotify_simple, a device the watch cannot see) the camera counts
as watched, always: the cost of running for nobody is CPU, the cost of idling for somebody a frozen call.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, replace
from typing import Callable

from studio.config.settings import LiveSettings
from studio.control.events import EventHub
from studio.control.sink_set import VCAM, SinkSet, sink_name
from studio.core.kinds import EventKind
from studio.output.base import OutputFrame, Sink
from studio.output.reader_watch import ReaderWatch, WatchUnsupported
from studio.output.slate import make_slate

log = logging.getLogger(__name__)

IDLE_AFTER_S = 3.0  # nobody reading for this long: idle
SLATE_PERIOD_S = 1.0  # the slate's rate while idle
IDLE_TICK_S = 0.1  # while idle, the output thread looks at commands and stop requests this often


@dataclass(frozen=True)
class IdleHooks:
    """What idling does to the capture side (the pipeline wires them to its CaptureThread)."""

    pause_capture: Callable[[bool], None] = lambda release: None
    resume_capture: Callable[[], None] = lambda: None


class IdleControl:
    def __init__(self, settings: LiveSettings, events: EventHub, hooks: IdleHooks | None = None, *,
                 idle_after_s: float = IDLE_AFTER_S) -> None:
        self._settings = settings
        self._events = events
        self._hooks = hooks or IdleHooks()
        self.idle_after_s = idle_after_s
        self._watch: ReaderWatch | None = None
        self._unsupported: set[str] = set()  # devices a watch could not be put on (said once each)
        self._poke = threading.Event()  # the watch saw a reader come or go: look now, not at the next tick
        self._quiet_since: float | None = None
        self._slate: OutputFrame | None = None
        self._slate_due = 0.0
        self.on_resume: Callable[[], None] = lambda: None  # the output thread starts its gate and clock afresh
        self.idle = False  # read by other threads for stats (a plain bool, replaced whole)

    def configure(self, settings: LiveSettings) -> None:
        self._settings = settings
        self._poke.set()

    @property
    def readers(self) -> int | None:
        """Programs reading the virtual camera now (None: not watched)."""
        watch = self._watch
        return None if watch is None else watch.readers

    # -- on the output thread ----------------------------------------------------------------------------------
    def step(self, sinks: SinkSet, last: OutputFrame | None) -> bool:
        """Look before taking a frame. False: work as usual. True: idle; the slate went out if it was due and this
        call waited (at most ``IDLE_TICK_S``) for the next look."""
        now = time.monotonic()
        if self._watched(list(sinks)):
            self._quiet_since = None
            if self.idle:
                self._leave()
            return False
        if not self.idle:
            if self._quiet_since is None:
                self._quiet_since = now
            if now - self._quiet_since < self.idle_after_s or last is None:
                return False
            self._enter(last)
        if now >= self._slate_due and self._slate is not None:
            self._slate_due = now + SLATE_PERIOD_S
            # To every sink: none but the camera shows anything now (that is why we idle), and a camera that fails
            # is taken out and reported the usual way (then nothing is left to idle for).
            sinks.write(replace(self._slate, t_out=time.perf_counter()))
        self._poke.wait(max(0.0, min(IDLE_TICK_S, self._slate_due - now)))
        self._poke.clear()
        return True

    def _watched(self, sinks: list[Sink]) -> bool:
        if not self._settings.idle_when_unwatched:
            self._stop_watch()
            return True
        vcam = next((s for s in sinks if sink_name(s) == VCAM), None)
        device = getattr(vcam, "opened_device", None) if vcam is not None else None
        if device is None:  # no virtual camera, or not open yet: nothing to idle for
            self._stop_watch()
            return True
        if any(getattr(s, "watching", True) for s in sinks if s is not vcam):
            return True
        watch = self._ensure_watch(str(device))
        return watch is None or watch.readers > 0

    def _ensure_watch(self, device: str) -> ReaderWatch | None:
        if self._watch is not None and self._watch.path == device:
            return self._watch
        self._stop_watch()
        if device in self._unsupported:
            return None
        # own=1: our virtual camera holds the device open while it is in the sinks.
        watch = ReaderWatch(device, own=1, on_change=lambda readers: self._poke.set())
        try:
            watch.start()
        except WatchUnsupported as exc:
            self._unsupported.add(device)
            self._events.emit(EventKind.INFO, f"{exc.message}; the virtual camera runs whether or not it is watched",
                              exc.hint)
            return None
        self._watch = watch
        return watch

    def _stop_watch(self) -> None:
        watch, self._watch = self._watch, None
        if watch is not None:
            watch.close(2.0)

    def _enter(self, last: OutputFrame) -> None:
        self.idle = True
        self._slate = replace(last, image=make_slate(last.image), timings={})
        self._slate_due = 0.0
        release = self._settings.release_camera_when_idle
        self._hooks.pause_capture(release)
        log.info("idle: nobody reads the virtual camera")
        self._events.emit(EventKind.IDLE, "idle: nobody is watching the virtual camera",
                          "inference stopped" + (" and the camera is closed" if release else "") +
                          "; it shows a still picture until a program opens it")

    def _leave(self) -> None:
        self.idle = False
        self._slate = None
        self._hooks.resume_capture()
        self.on_resume()
        log.info("a program reads the virtual camera: running again")
        self._events.emit(EventKind.WATCHED, "the virtual camera is watched again: running")

    def close(self) -> None:
        """Stop the watch (the output thread's teardown); capture is the pipeline's to stop."""
        self._stop_watch()
        self.idle = False

