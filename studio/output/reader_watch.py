"""ReaderWatch: how many programs have the virtual camera's device open, besides our own writer.

A v4l2loopback device says nothing to its writer when a reader comes or goes, but the kernel's inotify does: every
open(2) of the node is an IN_OPEN event and every close an IN_CLOSE_WRITE or IN_CLOSE_NOWRITE, whoever the process
(the way Linux-Fake-Background-Webcam finds out that nobody watches). The count is

    readers = (opens found at the start) + (IN_OPEN since) - (IN_CLOSE_* since) - own

Openers from before the watch began make no event, so the start counts them in /proc/*/fd. inotify also merges
two identical events that follow each other unread (two readers closing at once read as one close), so after each
batch the count is checked against /proc: when every process's descriptors could be listed (root, or no other
user's process on the box) /proc is the exact answer and replaces the count; otherwise the larger of the two stands
(a reader this user cannot see is never taken for gone; at worst the camera runs for nobody). ``own`` is how many of
the opens are this process's writer (the owner sets it: 1 while the virtual camera is open). The count is clamped at
zero.

Linux only (inotify; the ``inotify_simple`` package, imported when the watch starts). Anywhere else ``start`` raises
WatchUnsupported and the caller treats the camera as always watched.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
from pathlib import Path
from typing import Callable

from studio.core.errors import StudioError
from studio.core.worker import Worker

log = logging.getLogger(__name__)

POLL_MS = 250  # the thread's read timeout: how soon it notices stop()


class WatchUnsupported(StudioError):
    """Open/close events cannot be watched here (not Linux, no inotify, the device is gone)."""


def openers_in_proc(path: str | os.PathLike, proc: str | os.PathLike = "/proc") -> tuple[int, bool]:
    """How many open file descriptors, in every process this user may look at, point at ``path``; and whether that
    was every process (False when some could not be looked at: another user's, without root)."""
    target = os.path.realpath(path)
    count, complete = 0, True
    try:
        pids = [p for p in os.listdir(proc) if p.isdigit()]
    except OSError:
        return 0, False
    for pid in pids:
        fd_dir = os.path.join(proc, pid, "fd")
        try:
            fds = os.listdir(fd_dir)
        except FileNotFoundError:  # the process just ended
            continue
        except OSError:  # another user's process
            complete = False
            continue
        for fd in fds:
            try:
                if os.readlink(os.path.join(fd_dir, fd)) == target:
                    count += 1
            except OSError:
                continue
    return count, complete


class ReaderWatch(Worker):
    """Counts readers of ``path`` on its own thread (``studio-reader-watch``); ``on_change(readers)`` is called on
    that thread whenever the count changes. ``own``: opens that are ours (see the module doc)."""

    def __init__(self, path: str | os.PathLike, *, own: int = 0,
                 on_change: Callable[[int], None] | None = None) -> None:
        super().__init__("reader-watch")
        self.path = str(path)
        self.own = own
        self._on_change = on_change
        self._lock = threading.Lock()
        self._net = 0  # opens at the start + IN_OPEN - IN_CLOSE_* since
        self._inotify = None
        self._flags = None
        self.gone = False  # the node was deleted (the loopback module unloaded): nobody can read it any more

    @property
    def readers(self) -> int:
        with self._lock:
            return 0 if self.gone else max(0, self._net - self.own)

    def start(self) -> None:
        """Begin watching; raises WatchUnsupported (with a hint) where open/close cannot be watched."""
        if not sys.platform.startswith("linux"):
            raise WatchUnsupported("watching the virtual camera for readers needs Linux (inotify)",
                                   hint="set live.idle_when_unwatched = false; the camera then always runs")
        try:
            import inotify_simple
        except ImportError as exc:
            raise WatchUnsupported(f"watching the virtual camera for readers needs inotify_simple ({exc})",
                                   hint="pip install inotify_simple") from None
        flags = inotify_simple.flags
        inotify = inotify_simple.INotify()
        try:
            inotify.add_watch(self.path, flags.OPEN | flags.CLOSE_WRITE | flags.CLOSE_NOWRITE | flags.DELETE_SELF)
        except OSError as exc:
            inotify.close()
            raise WatchUnsupported(f"cannot watch {self.path} for readers: {exc.strerror or exc}") from None
        # The watch first, then the count: an open between the two is counted twice at worst (one reader too many
        # until it closes), never missed.
        with self._lock:
            self._net = openers_in_proc(self.path)[0]
        self._inotify, self._flags = inotify, flags
        super().start()

    def _run_once(self) -> bool:
        events = self._inotify.read(timeout=POLL_MS)
        if not events:
            return True
        flags = self._flags
        before = self.readers
        with self._lock:
            for event in events:
                if event.mask & flags.OPEN:
                    self._net += 1
                if event.mask & (flags.CLOSE_WRITE | flags.CLOSE_NOWRITE):
                    self._net -= 1
                if event.mask & (flags.DELETE_SELF | flags.IGNORED):
                    self.gone = True
        seen, complete = openers_in_proc(self.path)  # a few ms, only when somebody opened or closed the node
        with self._lock:
            self._net = seen if complete else max(self._net, seen)
        after = self.readers
        if after != before and self._on_change is not None:
            try:
                self._on_change(after)
            except Exception:  # noqa: BLE001 - a listener's bug must not end the watch; it is logged
                log.exception("reader-watch listener failed")
        return not self.gone

    def _teardown(self) -> None:
        if self._inotify is not None:
            self._inotify.close()
            self._inotify = None


def watchable(path: str | os.PathLike | None) -> bool:
    """Whether ``path`` names something a watch could be put on (a device node or, in tests, a plain file)."""
    return bool(path) and Path(path).exists()
