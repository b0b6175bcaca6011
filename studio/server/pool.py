"""One shared Segmenter per (model, backend, device) and the bounded work queue that runs cutouts off the event loop.

Runtimes are not assumed thread-safe: each Segmenter has a lock and serves one worker at a time. The queue admits at
most ``workers + queue_depth`` jobs; one more is refused at once (the route answers 503 with Retry-After) instead of
piling up memory and latency."""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, TypeVar

from studio.core.kinds import Quality
from studio.core.worker import THREAD_PREFIX
from studio.server.options import ServeError

log = logging.getLogger(__name__)
T = TypeVar("T")


class ModelPool:
    """Opens each (model, backend, device, quality) once, on first use, and keeps it until ``close``. Quality "best"
    is a FusedSegmenter (studio.stills.quality) built over the same opener, so it opens its models the same way."""

    def __init__(self, opener: Callable | None = None) -> None:
        if opener is None:
            from studio.inference import open_segmenter

            opener = open_segmenter
        self._open = opener
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str, str, str], tuple[object, threading.Lock]] = {}
        self._opening: dict[tuple[str, str, str, str], threading.Lock] = {}

    def get(self, model: str, backend: str = "auto", device: str = "auto", quality: str = "fast"):
        """(segmenter, its lock); opens the model the first time (never twice, even when asked concurrently)."""
        key = (model, backend, device, quality)
        with self._lock:
            if key in self._entries:
                return self._entries[key]
            opening = self._opening.setdefault(key, threading.Lock())
        with opening:
            with self._lock:
                if key in self._entries:
                    return self._entries[key]
            seg = self._open_one(model, backend, device, quality)  # StudioError (ModelError, ...) propagates
            entry = (seg, threading.Lock())
            with self._lock:
                self._entries[key] = entry
                self._opening.pop(key, None)
            log.info("opened %s (quality %s) on %s", model, quality, seg.backend_label)
            return entry

    def _open_one(self, model: str, backend: str, device: str, quality: str):
        if quality == Quality.FAST:
            return self._open(model, backend, device)
        from studio.stills.quality import FusedSegmenter

        return FusedSegmenter(model, backend, device, opener=self._open)

    def loaded(self) -> list[dict]:
        with self._lock:
            return [{"model": k[0], "backend": k[1], "device": k[2], "quality": k[3], "runs_on": seg.backend_label}
                    for k, (seg, _lock) in self._entries.items()]

    def close(self) -> None:
        with self._lock:
            entries, self._entries = list(self._entries.values()), {}
        for seg, lock in entries:
            with lock:
                seg.close()


class WorkQueue:
    """A fixed set of worker threads and an admission count. ``run`` is awaited on the event loop."""

    def __init__(self, workers: int, depth: int) -> None:
        self.workers = workers
        self.capacity = workers + depth
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix=f"{THREAD_PREFIX}serve-worker")
        # start every worker now (the executor would start them on demand, mid-request): jobs that meet at a barrier
        barrier = threading.Barrier(workers)
        for f in [self._executor.submit(barrier.wait, 10.0) for _ in range(workers)]:
            f.result()
        self._admitted = 0
        self._running = 0
        self._lock = threading.Lock()

    @property
    def depth(self) -> int:
        """Jobs admitted and not finished (running + waiting)."""
        return self._admitted

    @property
    def waiting(self) -> int:
        with self._lock:
            return max(0, self._admitted - self._running)

    def retry_after_s(self, typical_job_s: float) -> int:
        return max(1, round(typical_job_s * self.capacity / self.workers + 0.5))

    async def run(self, fn: Callable[[], T], timeout_s: float, *, retry_after_s: int = 1) -> T:
        """``fn()`` on a worker; 503 when the queue is full, 504 past ``timeout_s`` (the slot stays taken until the
        job really ends, so a stuck model cannot let unbounded work in behind it)."""
        with self._lock:
            if self._admitted >= self.capacity:
                raise ServeError(503, "busy", f"the work queue is full ({self.capacity} jobs); retry later",
                                 headers={"Retry-After": str(retry_after_s)})
            self._admitted += 1
        gave_up = threading.Event()

        def job():
            with self._lock:
                self._running += 1
            try:
                if gave_up.is_set():  # its caller timed out while it waited: skip the work
                    raise ServeError(504, "timeout", "gave up before starting")
                return fn()
            finally:
                with self._lock:
                    self._running -= 1
                    self._admitted -= 1

        try:
            fut = self._executor.submit(job)
        except RuntimeError:
            with self._lock:
                self._admitted -= 1
            raise ServeError(503, "shutting_down", "the service is stopping", headers={"Retry-After": "5"}) from None
        try:
            # shield: a timeout or a client that leaves must not cancel the job unseen (its slot is freed by the job)
            return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(fut)), timeout_s)
        except asyncio.TimeoutError:
            gave_up.set()
            raise ServeError(504, "timeout", f"the cutout took longer than {timeout_s:g} s") from None
        except asyncio.CancelledError:
            gave_up.set()
            raise

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)
