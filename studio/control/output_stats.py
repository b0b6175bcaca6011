"""What the output thread publishes: a frozen snapshot of its counters and state, replaced whole after every frame,
and the latency windows (thread-safe, percentiles computed by whoever reads them)."""

from __future__ import annotations

from dataclasses import dataclass

from studio.core.frame import END_TO_END, STAGES
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


class OutputWindows:
    """The rolling figures behind ``PipelineStats`` latencies; a new one replaces the old on ``reset_stats``, so the
    output thread adds to whichever it sees, never to a torn one."""

    def __init__(self) -> None:
        self.latency = LatencyWindow(3600)
        self.stages = StageWindow(STAGES, 3600)  # the same frames as ``latency``, stage by stage
        self.mask_latency = LatencyWindow(600)
        self.mask_compute = LatencyWindow(600)

    def add_frame(self, timings: dict[str, float]) -> None:
        self.latency.add(timings[END_TO_END])
        self.stages.add(timings)

    def add_mask(self, latency: float, compute: float) -> None:
        self.mask_latency.add(latency)
        self.mask_compute.add(compute)

