"""LivePipeline end to end on real capture, compose and output pieces, with deterministic backends where the model
is not what is under test: output keeps flowing through crashes, hangs and a lost camera; settings change live."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from live_backends import Crash, Hang, ScriptedFactory

from studio.capture.synthetic import SyntheticSource
from studio.compose.base import BackgroundError
from studio.config.settings import Settings
from studio.control.pipeline import LivePipeline
from studio.core.errors import ModelError, SourceError
from studio.core.frame import END_TO_END, STAGES
from studio.core.worker import WorkerState, live_studio_threads
from studio.output.simple import CallbackSink, NullSink
from waiting import wait_for

W, H, FPS = 320, 240, 30.0



def settings(**inference) -> Settings:
    s = Settings()
    s.source.kind, s.source.width, s.source.height, s.source.fps = "synthetic", W, H, FPS
    s.inference.backend, s.inference.device = inference.pop("backend", "a"), "cpu"
    for k, v in inference.items():
        setattr(s.inference, k, v)
    s.refine.smoothing = 0.0
    return s


class Recorder:
    """A CallbackSink target that keeps what tests look at (the frame buffer is reused: copy the bits needed)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.frames = []  # (frame_index, mask_frame_index, corner BGR, centre BGR)
        self.threads = set()

    def __call__(self, f):
        h, w = f.image.shape[:2]
        with self.lock:
            self.frames.append((f.frame_index, f.mask_frame_index, f.image[2, 2].copy(), f.image[h // 2, w // 2].copy()))
            self.threads.add(threading.current_thread().name)

    def count(self):
        with self.lock:
            return len(self.frames)

    def last(self):
        with self.lock:
            return self.frames[-1]


def pipeline(s: Settings, factory, source=None, **kw):
    rec = Recorder()
    p = LivePipeline(s, source=source or SyntheticSource(W, H, FPS, motion="moving"), backend_factory=factory,
                     sinks=[CallbackSink(rec)], telemetry=kw.pop("telemetry", False), **kw)
    events = []
    p.subscribe(events.append)
    return p, rec, events


def kinds(events):
    return [e.kind for e in events]


def test_frames_flow_with_masks_and_stats():
    factory = ScriptedFactory()
    p, rec, events = pipeline(settings(), factory)
    assert p.state is WorkerState.NEW
    p.start()
    try:
        wait_for(lambda: rec.count() > 45 and rec.last()[1] >= 0, what="frames with masks")
        st = p.stats()
        assert st.state == "running" and st.model == "selfie" and st.backend == "a test on cpu"
        assert st.input_size == (256, 256) and st.frames_out >= 45 and st.inferences > 0
        assert st.source_name == "synthetic:moving" and st.source_state == "running"
        assert not np.isnan(st.latency_ms[50]) and not np.isnan(st.mask_ms[95])
        assert sum(st.inferences_per_tier.values()) == st.inferences
        assert st.gate_skips > 0  # moving (moderate) motion: not every frame is inferred
        assert rec.threads == {"studio-output"}
        assert "model-loaded" in kinds(events)
        d = st.to_dict()
        assert d["latency_ms"].keys() == {"p50", "p95", "p99"} and isinstance(d["input_size"], list)
    finally:
        assert p.close()
    assert p.state is WorkerState.STOPPED
    assert factory.made and all(b.closed for b in factory.made)


def test_every_frame_carries_its_stage_timings_and_they_add_up_to_its_latency():
    kept = []  # each frame's timings dict: the output thread completes it after the sinks have written
    p = LivePipeline(settings(), source=SyntheticSource(W, H, FPS, motion="moving"), backend_factory=ScriptedFactory(),
                     sinks=[CallbackSink(lambda f: kept.append(f.timings))], telemetry=False)
    p.start()
    try:
        wait_for(lambda: len(kept) > 60 and p.stats().inferences > 3, what="frames with masks")
        st = p.stats()
    finally:
        assert p.close()
    done = [t for t in kept if END_TO_END in t]
    assert len(done) >= 60
    for t in done:
        assert all(t[s] >= 0.0 for s in STAGES), t
        total = sum(t[s] for s in STAGES)
        # laps of one clock: nothing between capture and the sinks goes unaccounted, nothing is counted twice
        assert t[END_TO_END] * 0.999 - 1e-9 <= total <= t[END_TO_END] + 1e-9, t
    assert list(st.stages_ms) == list(STAGES)
    assert all(0.0 <= p[50] <= p[95] for p in st.stages_ms.values())
    # A sum of medians is not the median of the sums; on this run it differs by less than the run's own spread.
    medians = sum(p[50] for p in st.stages_ms.values())
    spread = max(0.1 * st.latency_ms[50], st.latency_ms[95] - st.latency_ms[50])
    assert abs(medians - st.latency_ms[50]) <= spread
    assert st.to_dict()["stages_ms"]["refine"].keys() == {"p50", "p95"}


def test_output_keeps_the_source_rate_while_the_backend_hangs_and_restarts():
    hang = Hang(on_calls={3}, once=True, limit=30.0)
    factory = ScriptedFactory(script={"a": hang})
    p, rec, events = pipeline(settings(timeout_s=0.5), factory)
    p.start()
    try:
        assert hang.entered.wait(15.0)
        hung_at = rec.count()
        captured_at = p.stats().frames_in
        wait_for(lambda: "backend-restart" in kinds(events), what="restart")
        wait_for(lambda: rec.count() > hung_at + 30, what="output during the hang")
        # every captured frame went out during the hang: output did not wait for the hung inference
        assert rec.count() - hung_at >= 0.9 * (p.stats().frames_in - captured_at) - 2
        assert p.stats().frames_repeated == 0
        before = p.stats().inferences
        wait_for(lambda: p.stats().inferences > before + 3, what="inference after the restart")
        assert len(factory.made) == 2 and p.stats().restarts == 1
    finally:
        hang.release.set()
        assert p.close()


def test_a_crashing_backend_restarts_then_falls_back_and_output_never_stops():
    factory = ScriptedFactory(script={"a": Crash()})  # every call on "a" raises
    p, rec, events = pipeline(settings(), factory)
    p.start()
    try:
        wait_for(lambda: "backend-fallback" in kinds(events), what="fallback")
        assert kinds(events).index("backend-restart") < kinds(events).index("backend-fallback")
        st = p.stats()
        assert st.restarts >= 1 and st.fallbacks == 1 and st.backend_requested != "a/cpu"
        wait_for(lambda: p.stats().backend.startswith(("openvino", "onnxruntime")), what="fallback backend runs")
        n = rec.count()
        wait_for(lambda: rec.count() > n + 15, what="output after fallback")
    finally:
        assert p.close()


class FlakySource:
    """A live source (like a camera) over a synthetic scene, that can be unplugged and plugged back in."""

    is_live = True

    def __init__(self):
        self.inner = SyntheticSource(W, H, FPS, motion="slow")
        self.name = "flaky-camera"
        self.unplugged = threading.Event()

    @property
    def fps(self):
        return FPS

    @property
    def size(self):
        return (W, H)

    def open(self):
        if self.unplugged.is_set():
            raise SourceError("camera unplugged", hint="plug it back in")
        self.inner.open()

    def read(self):
        if self.unplugged.is_set():
            raise SourceError("camera unplugged", hint="plug it back in")
        return self.inner.read()

    def close(self):
        self.inner.close()


def test_camera_loss_keeps_output_on_the_last_frame_and_recovers():
    src = FlakySource()
    p, rec, events = pipeline(settings(), ScriptedFactory(), source=src)
    p.start()
    try:
        wait_for(lambda: rec.count() > 10)
        src.unplugged.set()
        wait_for(lambda: "source-lost" in kinds(events), what="source-lost")
        assert p.stats().source_state == "lost"
        # The output thread may still be writing the last real frame when the event arrives: read the index once
        # repeats have begun.
        wait_for(lambda: p.stats().frames_repeated >= 1, what="the first repeated frame")
        lost_index = rec.last()[0]
        n = rec.count()
        wait_for(lambda: rec.count() > n + 20, what="frames while lost")
        assert rec.last()[0] == lost_index  # the last frame, repeated
        assert p.stats().frames_repeated >= 20
        lost_event = [e for e in events if e.kind == "source-lost"][0]
        assert "unplugged" in lost_event.message
        src.unplugged.clear()
        wait_for(lambda: "source-recovered" in kinds(events), what="source-recovered")
        wait_for(lambda: rec.last()[0] > lost_index, what="new frames")
        assert p.stats().source_state == "running"
    finally:
        assert p.close()


def test_apply_settings_changes_background_and_model_at_run_time():
    factory = ScriptedFactory()
    p, rec, events = pipeline(settings(), factory)
    p.start()
    try:
        wait_for(lambda: rec.count() > 5 and rec.last()[1] >= 0)
        s = p.settings
        s.background.kind, s.background.color = "color", "#00ff00"
        p.apply_settings(s)
        wait_for(lambda: tuple(rec.last()[2]) == (0, 255, 0), what="green background in the corner")
        s.inference.model = "selfie-landscape"
        p.apply_settings(s)
        wait_for(lambda: p.stats().model == "selfie-landscape" and p.stats().input_size == (256, 144),
                 what="model swap")
        assert any(e.kind == "model-loaded" and "selfie-landscape" in e.message for e in events)
        wait_for(lambda: factory.made[0].closed, what="the old backend closed after the swap")
        s.background.kind = "bogus"
        with pytest.raises(Exception):
            p.apply_settings(s)
        s.background.kind, s.background.path = "image", "/nonexistent/picture.png"
        with pytest.raises(BackgroundError):
            p.apply_settings(s)
        assert p.settings.background.kind == "color"  # nothing changed
        s = p.settings
        s.inference.model = "no-such-model"
        with pytest.raises(ModelError):
            p.apply_settings(s)
        assert p.settings.inference.model == "selfie-landscape"
    finally:
        assert p.close()


def test_sinks_added_and_removed_at_run_time_are_opened_and_closed_on_the_output_thread():
    class Probe(NullSink):
        def __init__(self):
            super().__init__("probe")
            self.calls = []

        def open(self, w, h, fps):
            super().open(w, h, fps)
            self.calls.append(("open", w, h, threading.current_thread().name))

        def close(self):
            self.calls.append(("close", threading.current_thread().name))

    p, rec, _ = pipeline(settings(), ScriptedFactory())
    probe = Probe()
    p.start()
    try:
        wait_for(lambda: rec.count() > 3)
        p.add_sink(probe)
        wait_for(lambda: probe.frames > 5)
        assert probe.calls[0] == ("open", W, H, "studio-output") and probe.fps == FPS
        assert "probe" in p.stats().sinks
        p.remove_sink(probe)
        wait_for(lambda: probe.calls[-1][0] == "close")
        assert probe.calls[-1] == ("close", "studio-output")
    finally:
        assert p.close()


def test_a_failing_sink_is_reported_and_the_others_continue():
    class Broken(NullSink):
        def write(self, frame):
            raise OSError("disk full")

    p, rec, events = pipeline(settings(), ScriptedFactory())
    p.add_sink(Broken("broken"))
    p.start()
    try:
        wait_for(lambda: "sink-failed" in kinds(events), what="sink-failed event")
        assert "disk full" in [e for e in events if e.kind == "sink-failed"][0].message
        n = rec.count()
        wait_for(lambda: rec.count() > n + 10)
        assert "broken" not in p.stats().sinks
    finally:
        assert p.close()


def test_set_source_swaps_at_run_time_and_a_missing_file_fails_cleanly(tmp_path):
    p, rec, events = pipeline(settings(), ScriptedFactory())
    p.start()
    try:
        wait_for(lambda: rec.count() > 3)
        p.set_source(SyntheticSource(160, 120, FPS, motion="still"))
        wait_for(lambda: p.stats().source_name == "synthetic:still" and p.stats().frame_size == (160, 120))
    finally:
        assert p.close()
    s = settings()
    s.source.kind, s.source.uri = "file", str(tmp_path / "missing.mp4")
    p = LivePipeline(s, backend_factory=ScriptedFactory(), telemetry=False)
    p.start()
    try:
        wait_for(lambda: p.stats().source_state == "failed", what="source failed")
        assert "missing.mp4" in p.source_error
    finally:
        assert p.close()


def test_telemetry_thread_runs_and_everything_ends():
    before = {t.ident for t in live_studio_threads()}
    p, rec, _ = pipeline(settings(), ScriptedFactory(), telemetry=True)
    p.start()
    try:
        wait_for(lambda: p.stats().telemetry is not None and p.stats().telemetry.rss_mb > 0)
        names = {t.name for t in live_studio_threads() if t.ident not in before}
        assert {"studio-capture", "studio-output", "studio-watchdog", "studio-telemetry"} <= names
    finally:
        assert p.close()
    assert not [t for t in live_studio_threads() if t.ident not in before]


def test_a_hot_box_caps_the_tier_and_cooling_restores_it():
    """The governor's wiring: temperature -> gate tier cap and model area cap -> stats and events."""
    temp = {"c": 90.0}
    s = settings()
    s.thermal.poll_s = 0.05
    p, rec, events = pipeline(s, ScriptedFactory(), source=SyntheticSource(W, H, FPS, motion="fast"))
    p._thermal.set_sensor(lambda: temp["c"])  # stands in for the telemetry poller's hottest sensor
    p.start()
    try:
        wait_for(lambda: p.stats().thermal_state == "throttled", what="throttled")
        wait_for(lambda: rec.count() > 40)
        assert p.stats().tier == "moderate" and p.stats().temperature_c == 90.0
        assert all(w.max_area == p._thermal.throttled_area for w in p._inference.workers if not w.abandoned)
        assert any(e.kind == "warning" and "hot" in e.message for e in events)
        temp["c"] = 60.0
        wait_for(lambda: p.stats().thermal_state == "normal" and p.stats().tier == "fast", what="restored")
    finally:
        assert p.close()
