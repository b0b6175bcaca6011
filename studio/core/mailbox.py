"""A one-slot "latest wins" mailbox between threads: a stage that falls behind drops stale items and counts them."""

from __future__ import annotations

import threading
from typing import Callable, Generic, TypeVar

T = TypeVar("T")


class LatestSlot(Generic[T]):
    """Holds at most one item; ``put`` replaces an unread item (counted in ``dropped``).

    ``get`` waits for an item newer than the last one this slot handed out; ``peek`` returns the newest item without
    consuming it (the output thread peeks at the newest mask for every frame). ``close`` wakes every waiter so threads
    can shut down promptly.
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: T | None = None
        self._seq = 0
        self._taken_seq = 0
        self._closed = False
        self.dropped = 0

    def put(self, item: T) -> bool:
        """Store ``item``; return True when it replaced one nobody had taken."""
        with self._cond:
            replaced = self._seq > self._taken_seq
            if replaced:
                self.dropped += 1
            self._item = item
            self._seq += 1
            self._cond.notify_all()
            return replaced

    def get(self, timeout: float | None = None) -> T | None:
        """Take the newest unread item, waiting up to ``timeout`` seconds; None on timeout or when closed."""
        with self._cond:
            if not self._cond.wait_for(lambda: self._seq > self._taken_seq or self._closed, timeout):
                return None
            if self._seq <= self._taken_seq:
                return None
            self._taken_seq = self._seq
            return self._item

    def peek(self) -> T | None:
        """The newest item, read or not; never waits."""
        with self._cond:
            return self._item

    def wait_until(self, wanted: Callable[[T], bool], timeout: float) -> T | None:
        """The newest item once ``wanted(item)`` holds, waiting at most ``timeout`` seconds; on timeout or close
        the newest item as it is (maybe not wanted, maybe None). Consumes nothing: the output thread waits here,
        bounded, for the mask of the frame it is about to composite, and takes the newest one when it is late."""
        with self._cond:
            self._cond.wait_for(lambda: self._closed or (self._item is not None and wanted(self._item)),
                                max(0.0, timeout))
            return self._item

    @property
    def unread(self) -> bool:
        """An item is waiting that ``get`` would hand out now."""
        with self._cond:
            return self._seq > self._taken_seq

    @property
    def sequence(self) -> int:
        """How many items were ever put; lets a reader tell whether ``peek`` returned something new."""
        with self._cond:
            return self._seq

    def clear(self) -> None:
        with self._cond:
            self._item = None
            self._taken_seq = self._seq

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    @property
    def closed(self) -> bool:
        return self._closed
