"""Hold a non-live source to its own frame rate on a monotonic schedule, without drift and without bursts."""

from __future__ import annotations

import time


class FramePacer:
    """``wait()`` sleeps until the next frame is due.

    Deadlines advance by exactly one period per frame (so small sleep overshoots do not accumulate into drift). When
    the caller falls more than ``max_lag`` periods behind (a debugger pause, a slow consumer), the schedule restarts
    from now instead of releasing a burst of frames to catch up.
    """

    def __init__(self, fps: float, max_lag: float = 2.0, clock=time.monotonic, sleep=time.sleep) -> None:
        if not fps > 0:
            raise ValueError(f"fps must be positive, got {fps!r}")
        self.period = 1.0 / float(fps)
        self._max_lag = max_lag * self.period
        self._clock = clock
        self._sleep = sleep
        self._next: float | None = None

    def reset(self) -> None:
        """The next ``wait`` returns at once and starts a new schedule."""
        self._next = None

    def wait(self) -> float:
        """Sleep until the next frame is due; return the seconds slept."""
        now = self._clock()
        if self._next is None or now - self._next > self._max_lag:
            self._next = now + self.period
            return 0.0
        delay = self._next - now
        self._next += self.period
        if delay > 0:
            self._sleep(delay)
            return delay
        return 0.0
