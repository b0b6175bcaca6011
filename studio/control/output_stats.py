"""What the output thread publishes: a frozen snapshot of its counters and state, replaced whole after every frame,
and the latency windows (thread-safe, percentiles computed by whoever reads them)."""

from __future__ import annotations

import threading
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from studio.control.align import AlignState
from studio.core.frame import AFTER, END_TO_END, STAGES
from studio.core.stats import LatencyWindow, StageWindow


@dataclass(frozen=True, slots=True)
class OutputStats:
    frames_out: int = 0
    frames_repeated: int = 0  # the last frame re-emitted while the source was lost or stalled
    gate_skips: int = 0  # frames the gate let through without inference
    level: float = 0.0  # the gate's motion level on the last real frame
    tier: str = "fast"
    frame_size: tuple[int, int] | None = None  # (width, height) going out
    vcam: str = "off"  # "off", "starting", "on <device>", "error: ..."
    sinks: tuple[str, ...] = ()
    stalled: bool = False  # re-emitting: the source is lost or a frame is overdue
    clock_fps: float = 0.0  # the rate the output clock keeps (measured from arrivals, else the source's claim)
    align: AlignState = field(default_factory=AlignState)  # mask alignment now: on or off (and why), the budget
    idle: bool = False  # nobody watches the virtual camera: no frames taken, a slate once a second (control.idle)


class OutputWindows:
    """The rolling figures behind ``PipelineStats`` latencies; a new one replaces the old on ``reset_stats``, so the
    output thread adds to whichever it sees, never to a torn one."""

    def __init__(self) -> None:
        self.latency = LatencyWindow(3600)
        self.stages = StageWindow(STAGES, 3600)  # the same frames as ``latency``, stage by stage
        self.after = LatencyWindow(3600)  # the same frames: the work each did once it was out (not in its latency)
        self.mask_latency = LatencyWindow(600)
        self.mask_compute = LatencyWindow(600)
        self.mask_lag = LagWindow(3600)  # the same frames as ``latency``: how many frames older their mask was

    def add_frame(self, timings: dict[str, float], mask_lag: int | None) -> None:
        self.latency.add(timings[END_TO_END])
        self.stages.add(timings)
        self.after.add(timings.get(AFTER, 0.0))
        self.mask_lag.add(mask_lag)

    def add_mask(self, latency: float, compute: float) -> None:
        self.mask_latency.add(latency)
        self.mask_compute.add(compute)



class LagWindow:
    """Per output frame, its index minus its mask's frame index (None: no mask yet): the share of frames cut with
    their own mask (lag 0) and the lag's percentiles, in frames."""

    def __init__(self, size: int = 3600) -> None:
        self._lags: deque[int | None] = deque(maxlen=size)
        self._lock = threading.Lock()

    def add(self, lag: int | None) -> None:
        with self._lock:
            self._lags.append(lag)

    def aligned_share(self) -> float:
        """Share of the frames whose mask came from the frame itself (NaN when no frame went out)."""
        with self._lock:
            lags = list(self._lags)
        return sum(1 for lag in lags if lag == 0) / len(lags) if lags else float("nan")

    def percentiles(self, qs=(50, 95)) -> dict[int, float]:
        with self._lock:
            lags = [lag for lag in self._lags if lag is not None]
        if not lags:
            return {q: float("nan") for q in qs}
        return {q: float(v) for q, v in zip(qs, np.percentile(np.asarray(lags, np.float64), qs))}
