"""LivePipeline: capture -> motion gate -> inference (supervised) -> refine + composite -> sinks, with stats and events.

Threads: capture (owns the Source), output (gate, refiner, background, compositor, sinks), one inference worker at a
time plus the watchdog (owned by the InferenceSupervisor), and telemetry. This class wires them, takes settings changes
and answers ``stats()``; it holds no per-frame work itself.

Settings changes: ``apply_settings`` validates and builds what is expensive or can fail (a background picture, a new
source, new sinks, a new model's plan) on the caller's thread, so a bad path is an exception for the caller and not a
stutter; the swap itself reaches the output thread as typed commands (studio.control.commands), applied together at
the next frame boundary. A model or backend change loads the new backend beside the running one and swaps when it is
ready. Outputs have one owner each: ``record()`` is the recording route for the settings file and the GUI alike,
``snapshot()`` the one snapshot sink, and the compositor alone mirrors.

Stats: each stage publishes its own snapshot (CaptureThread.stats, OutputThread.stats and .windows, the inference
supervisor's status(), the thermal governor's state); ``stats()`` reads them, never another thread's counters.
"""

from __future__ import annotations

import copy
import logging
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from typing import Callable, Sequence

from studio.capture.base import Source
from studio.capture.sources import make_source
from studio.capture.thread import CaptureStats, CaptureThread
from studio.compose.backgrounds import make_background
from studio.compose.refine import LIVE_DETAIL_CAP, LIVE_GUIDED_CAP, MaskRefiner
from studio.compose.warp import MaskWarper
from studio.config.settings import OutputSettings, Settings
from studio.control import commands as cmd
from studio.control.align import MaskAligner
from studio.control.events import EventHub, PipelineEvent
from studio.control.gate import MotionGate
from studio.control.idle import IdleControl, IdleHooks
from studio.control.output_stats import OutputStats
from studio.control.output_thread import MaskFeed, OutputStages, OutputThread, SourceInfo
from studio.control.stats import PipelineStats
from studio.control.thermal import ThermalGovernor
from studio.core.frame import Frame
from studio.core.kinds import EventKind
from studio.core.mailbox import LatestSlot
from studio.core.worker import WorkerState
from studio.inference.base import BackendFactory
from studio.inference.watchdog import InferenceSupervisor
from studio.output.base import Sink
from studio.output.recorder import RecorderSink
from studio.output.sinks import make_sinks
from studio.output.snapshot import SnapshotSink

log = logging.getLogger(__name__)


def _vcam_changed(a: OutputSettings, b: OutputSettings) -> bool:
    return (a.vcam, a.vcam_device) != (b.vcam, b.vcam_device)


def _recorder(path: str | Path | None) -> RecorderSink | None:
    """A recorder for ``path`` (raises SinkError for a format it cannot write), None for no path."""
    path = str(path or "").strip()
    return RecorderSink(path) if path else None


class LivePipeline:
    def __init__(self, settings: Settings, *, source: Source | None = None,
                 backend_factory: BackendFactory | None = None, sinks: Sequence[Sink] = (),
                 telemetry: bool = True) -> None:
        settings.validate()
        self._settings = copy.deepcopy(settings)
        self._lock = threading.Lock()
        self._events = EventHub()
        self._state = WorkerState.NEW
        self._t_start = 0.0
        self._cpu_start = 0.0
        self._source_state = "starting"

        self._frames: LatestSlot[Frame] = LatestSlot()
        self._capture = CaptureThread(source if source is not None else make_source(settings.source), self._frames,
                                      on_event=self._on_capture_event)
        self._inference = InferenceSupervisor(settings.inference, factory=backend_factory,
                                              on_event=self._events.emit)
        self._telemetry = None
        if telemetry:
            from studio.telemetry import TelemetryPoller

            self._telemetry = TelemetryPoller(settings.thermal.poll_s)
        self._thermal = ThermalGovernor(settings.thermal, self._hottest_c)
        # One of each: the settings file and the GUI share the recorder (record()) and the snapshot sink (snapshot()).
        self._own_sinks = make_sinks(settings.output)
        self._recorder = _recorder(settings.output.record)
        self._snapshots = SnapshotSink(settings.output.snapshot_dir.strip() or None)
        recording = [self._recorder] if self._recorder is not None else []
        # The gate caps a still scene's inference by the model's recent cost; idling pauses capture.
        idle = IdleControl(settings.live, self._events, IdleHooks(self._capture.pause, self._capture.resume))
        stages = OutputStages(MotionGate(settings.gate, cost=self._inference.recent_work_s), self._thermal,
                              MaskRefiner(settings.refine, detail_cap=LIVE_DETAIL_CAP, guided_cap=LIVE_GUIDED_CAP),
                              make_background(settings.background),
                              [*self._own_sinks, *recording, self._snapshots, *sinks], mirror=settings.output.mirror,
                              align=MaskAligner(settings.live), idle=idle)
        stages.warp = MaskWarper(enabled=settings.live.warp_mask)
        inference = self._inference
        self._output = OutputThread(self._frames, MaskFeed(inference.masks, inference.submit, inference.set_max_area,
                                                              inference.recent_work_s),
                                    stages, SourceInfo(lambda: self._capture.stats.source_fps,
                                                       lambda: self._capture.stats.lost), self._events)

    # -- lifecycle ---------------------------------------------------------------------------------------------
    @property
    def state(self) -> WorkerState:
        out = self._output.state
        if self._state in (WorkerState.NEW, WorkerState.STOPPING, WorkerState.STOPPED):
            if self._state is WorkerState.STOPPING and not self._output.alive and not self._capture.alive:
                return WorkerState.STOPPED
            return self._state
        if out is WorkerState.FAILED:
            return WorkerState.FAILED
        return out if out in (WorkerState.STARTING, WorkerState.RUNNING) else self._state

    def start(self) -> None:
        with self._lock:
            if self._state is not WorkerState.NEW:
                raise RuntimeError("a LivePipeline can be started once")
            self._state = WorkerState.RUNNING
            self._t_start = time.perf_counter()
            self._cpu_start = time.process_time()
        if self._telemetry is not None:
            self._telemetry.start()
        self._inference.start()
        self._output.start()
        self._capture.start()

    def stop(self) -> None:
        with self._lock:
            if self._state in (WorkerState.RUNNING, WorkerState.STARTING):
                self._state = WorkerState.STOPPING
        self._capture.stop()
        self._output.stop()
        self._inference.stop()
        if self._telemetry is not None:
            self._telemetry.stop()

    def join(self, timeout: float = 5.0) -> bool:
        deadline = time.monotonic() + timeout
        left = lambda: max(0.0, deadline - time.monotonic())  # noqa: E731
        ok = self._capture.join(left())
        ok = self._output.join(left()) and ok
        ok = self._inference.join(left()) and ok
        if self._telemetry is not None:
            ok = self._telemetry.join(left()) and ok
        if ok and self._state is WorkerState.STOPPING:
            self._state = WorkerState.STOPPED
        return ok

    def close(self, timeout: float = 5.0) -> bool:
        self.stop()
        return self.join(timeout)

    # -- events ------------------------------------------------------------------------------------------------
    def subscribe(self, callback: Callable[[PipelineEvent], None]) -> Callable[[], None]:
        return self._events.subscribe(callback)

    @property
    def events(self) -> list[PipelineEvent]:
        """The most recent events (oldest first)."""
        return list(self._events.history)

    def _on_capture_event(self, kind: str, message: str) -> None:
        if kind == EventKind.SOURCE_LOST:
            self._source_state = "lost"
            self._events.emit(EventKind.SOURCE_LOST, message)
        elif kind == EventKind.SOURCE_RECOVERED:
            self._source_state = "running"
            self._events.emit(EventKind.SOURCE_RECOVERED, message)
        elif kind == EventKind.SOURCE_FINISHED:
            self._source_state = "finished"
            self._events.emit(EventKind.INFO, f"{message}: end of the video; showing its last frame")
        elif kind == EventKind.SOURCE_WARNING:  # e.g. a damaged video file, said once
            self._events.emit(EventKind.WARNING, message,
                              "re-encode or copy the file again, e.g. ffmpeg -i in.mp4 -c:v libx264 out.mp4")
        else:
            self._events.emit(EventKind.INFO, f"{kind}: {message}")

    # -- settings and run-time changes -------------------------------------------------------------------------
    @property
    def settings(self) -> Settings:
        with self._lock:
            return copy.deepcopy(self._settings)

    def apply_settings(self, settings: Settings) -> None:
        """Take ``settings``; raises (SettingsError, BackgroundError, SourceError, ModelError) before changing
        anything when a part of them cannot be used. The swap happens at the next frame boundary."""
        settings.validate()
        new = copy.deepcopy(settings)
        with self._lock:
            old = self._settings
            built = []
            try:
                background = None
                if new.background != old.background:
                    background = make_background(new.background)
                    built.append(background)
                source = make_source(new.source) if new.source != old.source else None
                sinks = make_sinks(new.output) if _vcam_changed(new.output, old.output) else None
                record_changed = new.output.record.strip() != old.output.record.strip()
                recorder = _recorder(new.output.record) if record_changed else None
                # Last: the only step with an effect outside this call (it starts loading a model).
                self._inference.apply(new.inference)
            except BaseException:
                for thing in built:
                    thing.close()
                raise
            self._settings = new
            old_sinks = self._own_sinks
            if sinks is not None:
                self._own_sinks = sinks
        if source is not None:
            self._capture.swap_source(source)
            self._source_state = "starting"
        changes: list[cmd.Command] = [cmd.SetRefine(new.refine), cmd.SetGate(new.gate), cmd.SetThermal(new.thermal),
                                      cmd.SetMirror(new.output.mirror), cmd.SetLive(new.live)]
        if background is not None:
            changes.append(cmd.SetBackground(background))
        if sinks is not None:
            changes += [*(cmd.RemoveSink(s) for s in old_sinks), *(cmd.AddSink(s) for s in sinks)]
        if record_changed:
            changes += self._swap_recorder(recorder)
        if source is not None:
            changes.append(cmd.SourceChanged())
        if new.output.snapshot_dir != old.output.snapshot_dir:
            self._snapshots.set_folder(new.output.snapshot_dir.strip() or None)
        self._output.send(*changes)

    def set_source(self, source: Source) -> None:
        """Use ``source`` from now on (opened on the capture thread; the output shows the last frame meanwhile)."""
        self._capture.swap_source(source)
        self._source_state = "starting"
        self._output.send(cmd.SourceChanged())

    # -- recording and snapshots: one door each, for the settings file and the GUI alike ------------------------
    def record(self, path: str | Path | None) -> RecorderSink | None:
        """Record the output to ``path`` from the next frame on; None stops. A recording already running (the
        settings file's ``output.record`` or an earlier call) is finished first, its file complete. Raises SinkError
        (a format it cannot write) before changing anything. Settings are not touched: a button that records once
        does not make every later run record."""
        recorder = _recorder(path)
        self._output.send(*self._swap_recorder(recorder))
        return recorder

    def _swap_recorder(self, recorder: RecorderSink | None) -> list[cmd.Command]:
        with self._lock:
            old, self._recorder = self._recorder, recorder
        changes: list[cmd.Command] = [] if old is None else [cmd.RemoveSink(old)]
        return changes + ([] if recorder is None else [cmd.AddSink(recorder)])

    @property
    def recorder(self) -> RecorderSink | None:
        """The recording in progress, if any."""
        return self._recorder

    def snapshot(self, path: str | Path | None = None) -> "Future[Path]":
        """Save the next composited frame (RGBA PNG when transparent) to ``path``, or time-stamped in the settings'
        ``snapshot_dir`` (default: the user's Pictures/Studio). The Future ends with the file's path or a SinkError."""
        return self._snapshots.request(path)

    def add_sink(self, sink: Sink) -> None:
        """Write to ``sink`` too from the next frame on (opened on the output thread at the frame size)."""
        self._output.send(cmd.AddSink(sink))

    def remove_sink(self, sink: Sink) -> None:
        """Stop writing to ``sink`` and close it (on the output thread)."""
        self._output.send(cmd.RemoveSink(sink))

    # -- thermal -----------------------------------------------------------------------------------------------
    def _hottest_c(self) -> float | None:
        return self._telemetry.latest().hottest_c if self._telemetry is not None else None

    # -- stats -------------------------------------------------------------------------------------------------
    def _source_state_now(self, cap: CaptureStats, out: OutputStats) -> str:
        if self._capture.state is WorkerState.FAILED:
            return "failed"
        if self._source_state == "finished":
            return "finished"
        if self.state in (WorkerState.STOPPING, WorkerState.STOPPED):
            return "stopped"
        if cap.lost:
            return "lost"
        if cap.frames and self._source_state == "starting":
            self._source_state = "running"
        if out.stalled and self._source_state == "running":
            return "stalled"  # frames overdue: the output clock re-emits the last one (capture has not given up)
        return self._source_state

    @property
    def source_error(self) -> str:
        """Why the source failed or was lost ("" when it did not)."""
        cap = self._capture
        if cap.error is not None:
            return str(cap.error)
        return cap.last_error if cap.lost else ""

    @property
    def source_exception(self) -> BaseException | None:
        """The error that ended the capture thread (a file that cannot be opened), if any."""
        return self._capture.error

    def reset_stats(self) -> None:
        """Start the latency windows afresh (e.g. after warm-up, so a report covers the steady state only)."""
        self._output.reset_stats()

    def stats(self) -> PipelineStats:
        """One snapshot, read from what each stage publishes (capture, output, inference, thermal, telemetry)."""
        cap, out, inf = self._capture.stats, self._output.stats, self._inference.status()
        windows = self._output.windows
        thermal = self._thermal.state
        now = time.perf_counter()
        return PipelineStats(
            state=self.state.value,
            uptime_s=now - self._t_start if self._t_start else 0.0,
            source_fps=cap.source_fps,
            capture_fps=self._capture.fps.rate(),
            inference_fps=inf.inference_fps,
            output_fps=self._output.output_rate.rate(),
            latency_ms=windows.latency.percentiles((50, 95, 99)),
            stages_ms=windows.stages.percentiles((50, 95)),
            after_ms=windows.after.percentiles((50, 95)),
            mask_ms=windows.mask_latency.percentiles((50, 95)),
            mask_compute_ms=windows.mask_compute.percentiles((50, 95)),
            aligned_share=windows.mask_lag.aligned_share(),
            mask_lag_frames=windows.mask_lag.percentiles((50, 95)),
            align=out.align.on,
            align_reason=out.align.reason,
            latency_budget_ms=out.align.budget_ms,
            infer_ms=inf.infer_ms_p50,
            segment_ms=inf.total_ms_p50,
            model=inf.model,
            backend=inf.backend,
            backend_requested=inf.requested,
            model_loading=inf.loading,
            input_size=inf.input_size,
            motion_level=out.level,
            tier=out.tier,
            inferences=inf.inferences,
            inferences_per_tier=inf.per_tier,
            gate_skips=out.gate_skips,
            capture_drops=self._frames.dropped,
            inference_drops=self._inference.jobs.dropped,
            restarts=inf.restarts,
            fallbacks=inf.fallbacks,
            thermal_state=thermal.state,
            temperature_c=thermal.temp_c,
            thermal_since=thermal.since,
            telemetry=self._telemetry.latest() if self._telemetry is not None else None,
            vcam=out.vcam,
            source_name=cap.source_name,
            source_state=self._source_state_now(cap, out),
            frames_in=cap.frames,
            frames_out=out.frames_out,
            frames_repeated=out.frames_repeated,
            cpu_seconds=time.process_time() - self._cpu_start if self._t_start else 0.0,
            sinks=list(out.sinks),
            frame_size=out.frame_size,
            output_clock_fps=out.clock_fps,
            idle=out.idle,
        )
