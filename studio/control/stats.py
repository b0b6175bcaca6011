"""PipelineStats: one consistent snapshot of the live pipeline, for the GUI, `studio cam` and the benchmark."""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class PipelineStats:
    state: str  # WorkerState value of the pipeline
    uptime_s: float
    # rates (frames per second over the last ~2 s)
    source_fps: float  # what the source says it delivers
    capture_fps: float
    inference_fps: float
    output_fps: float
    # latencies in milliseconds
    latency_ms: dict[int, float]  # capture -> written to every sink: p50, p95, p99
    mask_ms: dict[int, float]  # a mask's frame captured -> the first frame cut with it is out (mask age): p50, p95
    mask_compute_ms: dict[int, float]  # the work alone: pre + infer + post + refine to frame size, no waiting: p50, p95
    infer_ms: float  # backend.infer alone, p50
    segment_ms: float  # pre + infer + post, p50
    # the model
    model: str
    backend: str  # what actually runs (runtime, version, device)
    backend_requested: str  # backend/device as asked, after any fallback
    model_loading: bool
    input_size: tuple[int, int] | None
    # the gate
    motion_level: float
    tier: str
    inferences: int
    inferences_per_tier: dict[str, int]
    gate_skips: int  # frames the gate let through without inference
    # losses and recoveries
    capture_drops: int  # frames replaced in the capture slot before the output took them
    inference_drops: int  # gated frames replaced before the worker took them (worker busy)
    restarts: int
    fallbacks: int
    # environment
    thermal_state: str  # normal | throttled | unknown
    temperature_c: float | None
    thermal_since: float
    telemetry: Any  # studio.telemetry.TelemetrySnapshot or None
    vcam: str  # "off", "on <device>", "error: ..."
    source_name: str
    source_state: str  # starting | running | stalled (frames overdue) | lost | finished | failed | stopped
    frames_in: int  # frames captured
    frames_out: int
    frames_repeated: int  # re-emitted last frames while the source was lost or stalled
    cpu_seconds: float  # process CPU time since start (all threads)
    sinks: list[str] = field(default_factory=list)
    frame_size: tuple[int, int] | None = None  # (width, height) of the frames going out
    # Where the latency goes: stage (studio.core.frame.STAGES, in order) -> {50: p50 ms, 95: p95 ms}, over the same
    # frames as latency_ms. The stages are laps of one clock, so on each frame they add up to its latency.
    stages_ms: dict[str, dict[int, float]] = field(default_factory=dict)
    # The work a frame did once it was out, for the next frame (split frames: studio.control.compose_inputs), over the
    # same frames: p50, p95 ms. Not part of the latency; with it, a frame's whole cost.
    after_ms: dict[int, float] = field(default_factory=dict)
    output_clock_fps: float = 0.0  # the rate re-emits keep: the source's, measured from frame arrivals
    # Mask alignment (studio.control.align), over the same frames as latency_ms: the share of frames cut with their
    # own frame's mask, how many frames older their mask was (p50, p95), whether the output waits for a submitted
    # frame's own mask now (and why not), and the latency budget in force.
    aligned_share: float = float("nan")
    mask_lag_frames: dict[int, float] = field(default_factory=dict)
    align: bool = False
    align_reason: str = ""
    latency_budget_ms: float = float("nan")
    idle: bool = False  # nobody watches the virtual camera: capture and inference paused (studio.control.idle)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready data (NaN becomes None; percentile keys become "p50"...)."""
        out: dict[str, Any] = {}
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if f.name == "telemetry":
                value = value.to_dict() if value is not None and hasattr(value, "to_dict") else None
            elif isinstance(value, dict) and all(isinstance(k, int) for k in value):
                value = _percentiles(value)
            elif f.name == "stages_ms":
                value = {stage: _percentiles(p) for stage, p in value.items()}
            elif isinstance(value, tuple):
                value = list(value)
            else:
                value = _num(value)
            out[f.name] = value
        return out


def _percentiles(value: dict[int, float]) -> dict[str, Any]:
    return {f"p{k}": _num(v) for k, v in value.items()}


def _num(value: Any) -> Any:
    if isinstance(value, float):
        return None if math.isnan(value) else round(value, 3)
    return value
