"""Run a LivePipeline for a while and report on the whole run: what `studio cam` prints and the benchmark records.

Rates here are counts over the measured span (first output frame after warm-up to the end), not the 2-second rolling
rates of ``stats()``, so a 20-second run gives one number per stage that does not depend on when it was sampled.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any, Callable

from studio.control.gate import TIERS
from studio.control.pipeline import LivePipeline
from studio.control.stats import PipelineStats
from studio.core.errors import SourceError, StudioError


@dataclass
class SessionReport:
    source: str
    source_fps: float
    frame_size: tuple[int, int] | None
    model: str
    backend: str
    input_size: tuple[int, int] | None
    duration_s: float  # the measured span
    warmup_s: float  # start -> first mask (model load, first inference)
    frames_in: int
    frames_out: int
    frames_repeated: int
    capture_fps: float
    output_fps: float
    inference_fps: float
    latency_ms: dict[str, float | None]  # capture -> sinks written
    mask_ms: dict[str, float | None]  # mask age: its frame captured -> the first frame cut with it is out
    mask_compute_ms: dict[str, float | None]  # pre + infer + post + refine to frame size, without any waiting
    infer_ms_p50: float | None
    segment_ms_p50: float | None  # pre + infer + post
    inferences: int
    inferences_per_tier: dict[str, int]
    inference_rate_per_tier: dict[str, float]  # inferences per second of run, by tier
    gate_skips: int
    capture_drops: int
    restarts: int
    fallbacks: int
    cpu_seconds: float  # process CPU time over the measured span
    cpu_s_per_min: float
    vcam: str
    source_state: str
    ended_by: str  # duration | source-finished | interrupted | failed
    events: list[dict[str, Any]] = field(default_factory=list)
    final: dict[str, Any] = field(default_factory=dict)  # the last PipelineStats, as plain data
    # Where the latency goes: stage -> {"p50", "p95"} in ms over the same frames as latency_ms (PipelineStats.stages_ms),
    # and the stage medians added up, to set beside latency_ms["p50"] (they differ only as a sum of medians does).
    stages_ms: dict[str, dict[str, float | None]] = field(default_factory=dict)
    stages_p50_sum_ms: float | None = None
    after_ms: dict[str, float | None] = field(default_factory=dict)  # work after each frame was out (PipelineStats)
    # Mask alignment over the measured frames (PipelineStats): the share cut with their own frame's mask, the mask's
    # lag in frames (p50, p95), whether alignment was on at the end (and why not), the latency budget in force.
    aligned_share: float | None = None
    mask_lag_frames: dict[str, float | None] = field(default_factory=dict)
    align: bool = False
    align_reason: str = ""
    latency_budget_ms: float | None = None

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        for k, v in d.items():
            if isinstance(v, float):
                d[k] = round(v, 3)
        return d


def wait_until_running(pipeline: LivePipeline, timeout: float = 20.0, lost_grace: float = 5.0,
                       deadline: float | None = None) -> float:
    """Wait for the first output frame; raise the source's error (with its hint) when it cannot deliver one.

    Returns the seconds it took. A live source that is still retrying after ``timeout`` is an error too: `studio cam`
    must say "cannot open camera 3" rather than sit there. At ``deadline`` (a perf_counter time: the caller's whole
    run is over) it returns without a frame and without an error."""
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        if deadline is not None and time.perf_counter() >= deadline:
            return time.perf_counter() - t0
        st = pipeline.stats()
        if st.source_state == "failed":
            exc = pipeline.source_exception
            if isinstance(exc, StudioError):
                raise exc
            raise SourceError(f"cannot read {st.source_name}: {exc}")
        if st.frames_out > 0:
            return time.perf_counter() - t0
        if st.state == "failed":
            raise StudioError("the live pipeline failed to start", hint="run with -v for the log")
        if st.source_state == "lost" and time.perf_counter() - t0 > lost_grace:
            break  # a camera that never delivered: it has been retried; say so instead of waiting on
        time.sleep(0.02)
    st = pipeline.stats()
    reason = pipeline.source_error or "no frame arrived"
    raise SourceError(f"cannot open {st.source_name}: {reason.splitlines()[0]}",
                      hint=reason.partition("hint: ")[2] or "check the source (camera index, path or URL)")


def run_session(pipeline: LivePipeline, duration: float | None, *, warmup_timeout: float = 60.0,
                tick: Callable[[PipelineStats], None] | None = None, tick_s: float = 0.5,
                stop_when_finished: bool = True, should_stop: Callable[[], bool] | None = None,
                deadline: float | None = None) -> SessionReport:
    """Start (if needed), wait for frames and the first mask, measure for ``duration`` seconds (None: until
    KeyboardInterrupt), stop and join. ``tick`` gets a stats snapshot every ``tick_s`` (the live status line).
    ``deadline`` (a perf_counter time) ends the run there whatever stage it is in, warm-up included: what
    `studio cam --duration` promises."""
    from studio.core.worker import WorkerState

    t_start = time.perf_counter()
    if pipeline.state is WorkerState.NEW:
        pipeline.start()
    ended_by = "duration"
    try:
        wait_until_running(pipeline, deadline=deadline)
        while pipeline.stats().inferences == 0 and time.perf_counter() - t_start < warmup_timeout:
            if pipeline.state is WorkerState.FAILED or (deadline is not None and time.perf_counter() >= deadline):
                break
            if should_stop is not None and should_stop():  # e.g. a permanent error: no first mask will come
                break
            time.sleep(0.02)
        warmup = time.perf_counter() - t_start
        pipeline.reset_stats()
        base = pipeline.stats()
        t0, cpu0 = time.perf_counter(), time.process_time()
        next_tick = t0 + tick_s
        try:
            while ((duration is None or time.perf_counter() - t0 < duration)
                   and (deadline is None or time.perf_counter() < deadline)):
                time.sleep(min(0.05, tick_s))
                if should_stop is not None and should_stop():
                    ended_by = "failed"
                    break
                now = time.perf_counter()
                st = None
                if tick is not None and now >= next_tick:
                    next_tick = now + tick_s
                    st = pipeline.stats()
                    tick(st)
                if stop_when_finished or pipeline.state is WorkerState.FAILED:
                    st = st or pipeline.stats()
                    if stop_when_finished and st.source_state in ("finished", "failed"):
                        ended_by = "source-finished" if st.source_state == "finished" else "failed"
                        break
                    if st.state == "failed":
                        ended_by = "failed"
                        break
        except KeyboardInterrupt:
            ended_by = "interrupted"
        end = pipeline.stats()
        span = max(1e-6, time.perf_counter() - t0)
        cpu = time.process_time() - cpu0
    finally:
        pipeline.stop()
        joined = pipeline.join(10.0)
    tiers = {k: end.inferences_per_tier.get(k, 0) - base.inferences_per_tier.get(k, 0)
             for k in TIERS}
    size = end.frame_size
    final = end.to_dict()
    if not joined:
        final["join_error"] = "some threads did not end within 10 s"
    return SessionReport(
        source=end.source_name, source_fps=end.source_fps, frame_size=size, model=end.model, backend=end.backend,
        input_size=end.input_size, duration_s=span, warmup_s=warmup,
        frames_in=end.frames_in - base.frames_in, frames_out=end.frames_out - base.frames_out,
        frames_repeated=end.frames_repeated - base.frames_repeated,
        capture_fps=(end.frames_in - base.frames_in) / span, output_fps=(end.frames_out - base.frames_out) / span,
        inference_fps=(end.inferences - base.inferences) / span,
        latency_ms=final["latency_ms"], mask_ms=final["mask_ms"],
        mask_compute_ms=final["mask_compute_ms"], infer_ms_p50=final["infer_ms"],
        segment_ms_p50=final["segment_ms"], inferences=end.inferences - base.inferences,
        inferences_per_tier=tiers, inference_rate_per_tier={k: round(v / span, 2) for k, v in tiers.items()},
        gate_skips=end.gate_skips - base.gate_skips, capture_drops=end.capture_drops - base.capture_drops,
        restarts=end.restarts, fallbacks=end.fallbacks, cpu_seconds=cpu, cpu_s_per_min=cpu * 60.0 / span,
        vcam=end.vcam, source_state=end.source_state, ended_by=ended_by,
        events=[{"kind": e.kind, "message": e.message, "hint": e.hint} for e in pipeline.events
                if e.kind not in ("info",)],
        final=final, stages_ms=final["stages_ms"], stages_p50_sum_ms=_sum_p50(final["stages_ms"]),
        after_ms=final["after_ms"],
        aligned_share=final["aligned_share"], mask_lag_frames=final["mask_lag_frames"], align=end.align,
        align_reason=end.align_reason, latency_budget_ms=final["latency_budget_ms"])


def _sum_p50(stages: dict[str, dict[str, float | None]]) -> float | None:
    medians = [p.get("p50") for p in stages.values()]
    return sum(medians) if medians and None not in medians else None
