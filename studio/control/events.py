"""PipelineEvent and the hub that hands them to subscribers (the GUI bridge, the CLI, tests)."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from studio.core.kinds import EventKind

log = logging.getLogger(__name__)

# Every kind is an EventKind (studio.core.kinds); subscribers compare with its members.
KINDS = EventKind.values()


@dataclass(frozen=True, slots=True)
class PipelineEvent:
    kind: EventKind
    message: str
    hint: str = ""
    t: float = field(default_factory=time.time)  # wall clock, for the UI's log


class EventHub:
    """Subscribers are called on whichever pipeline thread raised the event; a subscriber that raises is logged and
    kept (one bad listener must not silence the others, nor stop a pipeline thread)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subscribers: list[Callable[[PipelineEvent], None]] = []
        self.history: list[PipelineEvent] = []  # the last HISTORY events, for a late subscriber or a report
        self.HISTORY = 200

    def subscribe(self, callback: Callable[[PipelineEvent], None]) -> Callable[[], None]:
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe

    def emit(self, kind: str, message: str, hint: str = "") -> PipelineEvent:
        kind = EventKind.parse(kind) or EventKind.INFO
        if not hint and "\n  hint: " in message:  # a StudioError's str(): keep the hint apart
            message, _, hint = message.partition("\n  hint: ")
        event = PipelineEvent(kind, message, hint)
        # Debug only: whoever raises an event logs it at its own level (the capture thread, the watchdog, ...).
        log.debug("%s: %s%s", kind, message, f" ({hint})" if hint else "")
        with self._lock:
            subscribers = list(self._subscribers)
            self.history.append(event)
            del self.history[:-self.HISTORY]
        for callback in subscribers:
            try:
                callback(event)
            except Exception:  # noqa: BLE001 - logged; the pipeline thread carries on
                log.exception("pipeline event subscriber failed on %s", kind)
        return event
