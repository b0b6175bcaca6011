"""Rolling rates and latency percentiles; cheap enough to update on every frame."""

from __future__ import annotations

import threading
import time
from collections import deque

import numpy as np


class RateMeter:
    """Events per second over the last ``window`` seconds."""

    def __init__(self, window: float = 2.0, clock=time.perf_counter) -> None:
        self._window = window
        self._clock = clock
        self._times: deque[float] = deque()
        self._lock = threading.Lock()
        self.count = 0

    def tick(self, t: float | None = None) -> None:
        t = self._clock() if t is None else t
        with self._lock:
            self._times.append(t)
            self.count += 1
            self._trim(t)

    def _trim(self, now: float) -> None:
        cutoff = now - self._window
        while self._times and self._times[0] < cutoff:
            self._times.popleft()

    def rate(self, now: float | None = None) -> float:
        now = self._clock() if now is None else now
        with self._lock:
            self._trim(now)
            n = len(self._times)
            if n < 2:
                return 0.0
            span = max(now - self._times[0], self._times[-1] - self._times[0])
            return (n - 1) / span if span > 0 else 0.0


class LatencyWindow:
    """The last ``size`` samples (seconds) with percentiles; ``all_samples`` keeps everything for final reports."""

    def __init__(self, size: int = 600, keep_all: bool = False) -> None:
        self._samples: deque[float] = deque(maxlen=size)
        self._all: list[float] | None = [] if keep_all else None
        self._lock = threading.Lock()

    def add(self, seconds: float) -> None:
        with self._lock:
            self._samples.append(seconds)
            if self._all is not None:
                self._all.append(seconds)

    def __len__(self) -> int:
        return len(self._samples)

    def percentiles(self, qs=(50, 95, 99), *, everything: bool = False) -> dict[int, float]:
        """Percentiles in milliseconds (NaN when empty)."""
        with self._lock:
            data = list(self._all if everything and self._all is not None else self._samples)
        if not data:
            return {q: float("nan") for q in qs}
        values = np.percentile(np.asarray(data) * 1000.0, qs)
        return {q: float(v) for q, v in zip(qs, values)}

    def last(self) -> float:
        with self._lock:
            return self._samples[-1] if self._samples else float("nan")


class StageWindow:
    """The last ``size`` frames' per-stage timings (seconds), one row a frame, with per-stage percentiles.

    One lock and one row per frame (not a window per stage), so a reader's percentiles for every stage come from the
    same frames and add up like the frames did."""

    def __init__(self, stages: tuple[str, ...], size: int = 3600) -> None:
        self.stages = tuple(stages)
        self._rows: deque[tuple[float, ...]] = deque(maxlen=size)
        self._lock = threading.Lock()

    def add(self, timings: dict[str, float]) -> None:
        row = tuple(timings.get(s, 0.0) for s in self.stages)
        with self._lock:
            self._rows.append(row)

    def __len__(self) -> int:
        return len(self._rows)

    def percentiles(self, qs=(50, 95)) -> dict[str, dict[int, float]]:
        """stage -> {q: milliseconds} (empty when no frame was added)."""
        with self._lock:
            rows = list(self._rows)
        if not rows:
            return {}
        values = np.percentile(np.asarray(rows) * 1000.0, qs, axis=0)  # len(qs) x stages
        return {s: {q: float(values[i, j]) for i, q in enumerate(qs)} for j, s in enumerate(self.stages)}
