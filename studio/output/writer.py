"""A small job thread for sinks whose work is too slow for the output thread (video encoding, PNG snapshots)."""

from __future__ import annotations

import logging
import threading
from collections import deque
from typing import Callable

from studio.core.worker import Worker

log = logging.getLogger(__name__)


class BackgroundWriter(Worker):
    """Runs submitted jobs in order on its own thread; at most ``max_jobs`` wait, so memory stays bounded.

    ``submit`` never blocks: it returns False when the queue is full and the caller decides what to drop.
    ``flush`` waits until every job submitted so far has run. A job that raises is logged and its error kept in
    ``job_error`` (the first one), so the owner can report it when it closes.
    """

    def __init__(self, name: str, max_jobs: int = 8) -> None:
        super().__init__(name)
        self.max_jobs = max_jobs
        self._jobs: deque[Callable[[], None]] = deque()
        self._cond = threading.Condition()
        self._running_job = False
        self.job_error: BaseException | None = None
        self.jobs_done = 0

    def submit(self, job: Callable[[], None]) -> bool:
        with self._cond:
            if len(self._jobs) >= self.max_jobs or self.stopping:
                return False
            self._jobs.append(job)
            self._cond.notify_all()
            return True

    @property
    def pending(self) -> int:
        with self._cond:
            return len(self._jobs) + (1 if self._running_job else 0)

    def flush(self, timeout: float | None = None) -> bool:
        """Wait until the queue is empty and no job runs; True when that happened within ``timeout``."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._jobs and not self._running_job or not self.alive, timeout)

    def close(self, timeout: float = 10.0) -> bool:
        """Finish the queued jobs, then stop."""
        self.flush(timeout)
        return super().close(timeout)

    def _wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def _teardown(self) -> None:
        with self._cond:
            self._cond.notify_all()  # a flush() waiting on a thread that has ended returns

    def _run_once(self) -> bool:
        with self._cond:
            self._cond.wait_for(lambda: self._jobs or self.stopping)
            if not self._jobs:
                return False
            job = self._jobs.popleft()
            self._running_job = True
        try:
            job()
        except Exception as exc:  # noqa: BLE001 - kept for the owner and logged; one bad frame must not end a recording
            log.exception("%s: job failed", self.name)
            if self.job_error is None:
                self.job_error = exc
        finally:
            with self._cond:
                self._running_job = False
                self.jobs_done += 1
                self._cond.notify_all()
        return True
