"""FrameClock: the output's frame clock, kept at the rate the source really delivers.

A virtual camera must keep sending frames while the source is lost or stalls, at the source's own rate, or a video
call sees the camera slow down or freeze. Two things made that rate wrong before: re-emits were scheduled one period
after the previous one *finished* (each period grew by the processing time: 22-23 fps instead of 30), and the period
came from the source's claimed fps, which a container can get wrong. Here the period is measured from the capture
timestamps of recent frames (per captured index, so frames dropped in the slot do not stretch it), and re-emits fall
on absolute deadlines of that period, anchored on the last real frame: processing time does not accumulate, and a
thread that falls more than a period behind skips the missed deadlines instead of bursting.

A frame that is ``STALL_PERIODS`` periods overdue is a stall: noticed within a few frame periods (100 ms at 30 fps),
where a frozen stream used to go unnoticed until the reader's 3 s timeout. Not thread-safe: the output thread owns it.
"""

from __future__ import annotations

import collections
import math
import statistics
from typing import Callable

STALL_PERIODS = 3  # a frame this many periods overdue is a stall: re-emits begin on the next deadline
WINDOW = 32  # arrival intervals kept for the rate estimate (about a second at 30 fps)
MIN_INTERVALS = 3  # fewer measured intervals than this: trust the source's claimed rate
DEFAULT_FPS = 30.0  # a source that cannot say, or says something absurd: a webcam's rate
FPS_RANGE = (1.0, 240.0)


class FrameClock:
    """``nominal_fps`` is what the source claims (read when nothing has been measured yet)."""

    def __init__(self, nominal_fps: Callable[[], float] | None = None, *, window: int = WINDOW,
                 stall_periods: float = STALL_PERIODS) -> None:
        self._nominal = nominal_fps
        self.stall_periods = stall_periods
        self._intervals: collections.deque[float] = collections.deque(maxlen=window)
        self._measured: float | None = None  # median interval, once there are MIN_INTERVALS
        self._last: tuple[int, float] | None = None  # (index, t_capture) of the last real frame
        self._due: float | None = None  # the next re-emit deadline while stalled
        self.repeats_skipped = 0  # deadlines passed over because the thread was more than a period late

    # -- the rate --------------------------------------------------------------------------------------------
    def nominal_period(self) -> float:
        try:
            fps = float(self._nominal()) if self._nominal is not None else 0.0
        except Exception:  # noqa: BLE001 - a source that cannot say: assume a webcam's rate
            fps = 0.0
        return 1.0 / (fps if FPS_RANGE[0] <= fps <= FPS_RANGE[1] else DEFAULT_FPS)

    @property
    def period(self) -> float:
        """Seconds between frames: measured when possible, else the source's claim."""
        return self._measured if self._measured is not None else self.nominal_period()

    def sink_fps(self) -> float:
        """The rate to open a sink at (a recording's container rate, the virtual camera's): the source's claim,
        unless the measured rate says it is wrong by more than 10 %."""
        nominal = 1.0 / self.nominal_period()
        if self._measured is None or abs(nominal * self._measured - 1.0) <= 0.1:
            return nominal
        return round(1.0 / self._measured, 2)

    @property
    def measured(self) -> bool:
        return self._measured is not None

    def reset(self) -> None:
        """A new source: forget its predecessor's rate (the anchor stays, so re-emits carry on meanwhile)."""
        self._intervals.clear()
        self._measured = None

    def arrived(self, index: int, t_capture: float) -> None:
        """A real frame came: it anchors the re-emit schedule and feeds the rate estimate."""
        if self._last is not None:
            last_index, last_t = self._last
            steps, dt = index - last_index, t_capture - last_t
            if steps > 0 and dt > 0:
                self._intervals.append(dt / steps)
                if len(self._intervals) >= MIN_INTERVALS:
                    interval = statistics.median(self._intervals)
                    lo, hi = 1.0 / FPS_RANGE[1], 1.0 / FPS_RANGE[0]
                    self._measured = min(hi, max(lo, interval))
        self._last = (index, t_capture)
        self._due = None

    # -- the schedule ------------------------------------------------------------------------------------------
    @property
    def stalled(self) -> bool:
        """Re-emitting: the source is lost or a frame is overdue (until the next real frame)."""
        return self._due is not None

    def stall_at(self) -> float | None:
        """When the next frame becomes overdue enough to count as a stall (None before the first frame)."""
        if self._last is None:
            return None
        return self._last[1] + self.stall_periods * self.period

    def due(self, now: float, lost: bool = False) -> float | None:
        """The deadline of the next re-emit, or None while the source is on time (or has sent nothing yet).

        ``lost``: the capture side already knows the source is gone, so re-emits start on the next deadline
        without waiting for the stall threshold."""
        if self._due is not None or self._last is None:
            return self._due
        anchor, p = self._last[1], self.period
        if not lost and now < anchor + self.stall_periods * p:
            return None
        # The first deadline of the anchor's grid at or after the moment the stall began.
        start = now if lost else anchor + self.stall_periods * p
        self._due = anchor + max(1, math.ceil((start - anchor) / p - 1e-9)) * p
        return self._due

    def wait_s(self, now: float, lost: bool = False) -> float:
        """How long the output may wait for the next frame before it has something to do."""
        due = self.due(now, lost)
        if due is not None:
            return max(0.0, due - now)
        stall = self.stall_at()
        p = self.period
        # Wake at most a period apart, so commands and stop requests are served promptly.
        return p if stall is None else max(0.0, min(p, stall - now))

    def repeated(self, now: float) -> None:
        """The re-emit for the current deadline went out: move to the next one on the grid."""
        if self._due is None:
            return
        p = self.period
        self._due += p
        if now - self._due > p:  # more than a period behind: skip to the grid point just passed, no burst
            missed = math.floor((now - self._due) / p)
            self.repeats_skipped += missed
            self._due += missed * p
