"""SinkSet: the output thread's sinks, opened at the frame size, written in turn, closed where they were opened.

A sink that cannot open or write is taken out and reported (an error event with its hint); the others keep going.
Everything here runs on the output thread; other threads read ``names`` and ``vcam_status`` (plain values, replaced
whole).
"""

from __future__ import annotations

import logging

from studio.control.events import EventHub
from studio.core.errors import StudioError
from studio.core.kinds import EventKind
from studio.output.base import OutputFrame, Sink

log = logging.getLogger(__name__)

VCAM = "virtual-camera"


def sink_name(sink: Sink) -> str:
    return getattr(sink, "name", type(sink).__name__)


class SinkSet:
    def __init__(self, sinks: list[Sink], events: EventHub) -> None:
        self._sinks: list[Sink] = list(sinks)
        self._events = events
        self._opened: dict[int, tuple[int, int]] = {}  # id(sink) -> size it was opened at
        self.vcam_status = "off"
        self.names: tuple[str, ...] = tuple(sink_name(s) for s in self._sinks)

    def __iter__(self):
        return iter(list(self._sinks))

    def _changed(self) -> None:
        self.names = tuple(sink_name(s) for s in self._sinks)
        vcams = [s for s in self._sinks if sink_name(s) == VCAM]
        if not vcams:
            if not self.vcam_status.startswith("error"):
                self.vcam_status = "off"
            return
        device = getattr(vcams[0], "opened_device", None)
        self.vcam_status = f"on {device}" if id(vcams[0]) in self._opened else "starting"

    def add(self, sink: Sink) -> None:
        if sink not in self._sinks:
            self._sinks.append(sink)
            self._changed()

    def remove(self, sink: Sink) -> None:
        if sink in self._sinks:
            self._sinks.remove(sink)
            self._close(sink)
            self._changed()

    def _close(self, sink: Sink) -> None:
        if self._opened.pop(id(sink), None) is None:
            return
        try:
            sink.close()
        except Exception:  # noqa: BLE001 - closing is best effort; the error is logged
            log.exception("closing sink %s failed", sink_name(sink))

    def _fail(self, sink: Sink, exc: Exception) -> None:
        name = sink_name(sink)
        if isinstance(exc, StudioError):
            message, hint = exc.message, exc.hint
            log.warning("sink %s taken out: %s", name, message)
        else:
            log.error("sink %s failed", name, exc_info=exc)
            message, hint = f"output {name} failed: {exc}", ""
        if name == VCAM:
            self.vcam_status = f"error: {message}"
        if sink in self._sinks:
            self._sinks.remove(sink)
        self._close(sink)
        self._opened.pop(id(sink), None)
        self._changed()
        self._events.emit(EventKind.VCAM_FAILED if name == VCAM else EventKind.SINK_FAILED, message, hint)

    def ensure_open(self, w: int, h: int, fps: float) -> None:
        """Open every sink not yet open at ``w`` x ``h`` (reopening one opened at another size)."""
        for sink in list(self._sinks):
            size = self._opened.get(id(sink))
            if size == (w, h):
                continue
            if size is not None:
                self._close(sink)
            try:
                sink.open(w, h, fps)
            except Exception as exc:  # noqa: BLE001 - reported as an event; see _fail
                self._fail(sink, exc)
                continue
            self._opened[id(sink)] = (w, h)
            if sink_name(sink) == VCAM:
                self._changed()

    def write(self, packet: OutputFrame) -> None:
        for sink in list(self._sinks):
            try:
                sink.write(packet)
            except Exception as exc:  # noqa: BLE001 - see _fail
                self._fail(sink, exc)

    def close_all(self) -> None:
        for sink in list(self._sinks):
            self._close(sink)
