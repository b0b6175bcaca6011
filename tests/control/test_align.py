"""Issue 12, masks aligned with the frame they cut: a frame the gate submits waits, bounded, for its own mask when the
model fits the latency budget; a late mask is not waited for; a model too slow for the budget switches alignment
off. Through the real pipeline: the real selfie model on ONNX Runtime (made slow or hung by the fault-injecting
wrapper of faulty_backends), the real LivePipeline and synthetic source. Frames are counted, never timed."""

from __future__ import annotations

import math
import threading

import pytest
from faulty_backends import FaultyFactory, Hang

from studio.capture.synthetic import SyntheticSource
from studio.cli.cmd_cam import status_line
from studio.config.settings import LiveSettings, Settings, SettingsError
from studio.control.align import MaskAligner
from studio.control.pipeline import LivePipeline
from studio.output.simple import CallbackSink
from waiting import wait_for

W, H = 320, 240


class Slow:
    """A fault for Faulty: every call takes ``seconds`` longer (a model too heavy for the box); bounded."""

    cancellable = False

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds

    def __call__(self, call: int, cancelled: threading.Event) -> None:
        cancelled.wait(self.seconds)


class Pairs:
    """Per output frame: (its index, its mask's frame index)."""

    def __init__(self):
        self.lock = threading.Lock()
        self.rows = []

    def __call__(self, f):
        with self.lock:
            self.rows.append((f.frame_index, f.mask_frame_index))

    def count(self):
        with self.lock:
            return len(self.rows)

    def since(self, n):
        with self.lock:
            return list(self.rows[n:])


def live(factory, *, fps, budget_ms=0.0, align="auto", timeout_s=30.0):
    s = Settings()
    s.source.kind, s.source.width, s.source.height, s.source.fps = "synthetic", W, H, fps
    s.inference.backend, s.inference.device, s.inference.timeout_s = "onnxruntime", "cpu", timeout_s
    s.live.align_mask, s.live.latency_budget_ms = align, budget_ms
    rec = Pairs()
    p = LivePipeline(s, source=SyntheticSource(W, H, fps, motion="fast"), backend_factory=factory,
                     sinks=[CallbackSink(rec)], telemetry=False)
    return p, rec


def counts(p):
    st = p.stats()
    return st.frames_in, st.frames_out - st.frames_repeated, st.capture_drops


def test_the_decision_budget_hysteresis_and_deadline():
    a = MaskAligner(LiveSettings())
    assert a.budget_s(1 / 10) == pytest.approx(1 / 10)  # auto: one frame interval
    assert a.budget_s(1 / 60) == pytest.approx(1 / 60)
    assert not a.state.on and a.state.reason == "no mask yet"
    a.update(math.nan, 1 / 30)
    assert not a.state.on  # no figure for the model yet: never wait on a guess
    assert a.update(0.007, 1 / 30) and a.state.on and a.state.reason == ""
    a.add_costs(0.002, 0.010)
    a.update(0.007, 1 / 30)
    assert a.deadline(100.0) == pytest.approx(100.0 + 1 / 30 - 0.010)  # room left for refine ... sinks
    assert a.update(0.030, 1 / 30) and not a.state.on and "would take" in a.state.reason
    a.update(0.019, 1 / 30)  # fits (31 of 33 ms), but not with room to spare: stays off, no flapping
    assert not a.state.on
    a.update(0.010, 1 / 30)
    assert a.state.on
    a.configure(LiveSettings(align_mask="off"))
    a.update(0.001, 1 / 30)
    assert not a.state.on and a.state.reason == "live.align_mask is off"
    a.configure(LiveSettings(latency_budget_ms=100.0))
    a.update(0.050, 1 / 30)
    assert a.state.on and a.state.budget_ms == pytest.approx(100.0)


def test_submitted_frames_are_cut_with_their_own_mask_and_off_switches_it_off():
    # 10 fps: the gate sends every moving frame; a generous explicit budget leaves a busy box room for the model.
    p, rec = live(FaultyFactory(), fps=10.0, budget_ms=250.0)
    p.start()
    try:
        wait_for(lambda: p.stats().align, what="alignment on")
        n = rec.count()
        wait_for(lambda: rec.count() >= n + 20, what="frames out")
        rows = rec.since(n)
        own = sum(1 for frame, mask in rows if frame == mask)
        assert own >= len(rows) // 2, rows  # without alignment a frame never has its own mask
        st = p.stats()
        assert st.latency_budget_ms == pytest.approx(250.0) and st.aligned_share > 0
        assert st.mask_lag_frames[50] <= 1
        assert "own mask" in status_line(st) and "align off" not in status_line(st)

        settings = p.settings
        settings.live.align_mask = "off"
        p.apply_settings(settings)  # a SetLive command, applied at the next frame boundary
        wait_for(lambda: not p.stats().align, what="alignment off")
        assert p.stats().align_reason == "live.align_mask is off"
        settings.live.latency_budget_ms = -1
        with pytest.raises(SettingsError, match="live.latency_budget_ms"):
            p.apply_settings(settings)
    finally:
        assert p.close()


def test_a_model_too_slow_for_the_budget_switches_alignment_off_and_output_keeps_the_rate():
    factory = FaultyFactory(hang=Slow(0.15))  # 150 ms a mask against the auto budget of 67 ms
    p, rec = live(factory, fps=15.0)
    p.start()
    try:
        wait_for(lambda: p.stats().inferences >= 3, what="masks of the slow model")
        wait_for(lambda: "would take" in p.stats().align_reason, what="alignment off by itself")
        assert not p.stats().align
        p.reset_stats()
        frames_in, out, drops = counts(p)
        wait_for(lambda: counts(p)[1] >= out + 30, what="frames out")
        frames_in2, out2, drops2 = counts(p)
        # every captured frame went out: no frame waited for a mask that was never going to be in time
        assert out2 - out >= 0.9 * (frames_in2 - frames_in) - 2
        assert p.stats().aligned_share < 0.1
    finally:
        assert p.close()


def test_a_late_mask_is_not_waited_for_so_a_hung_model_never_lowers_the_output_rate():
    # The first masks come in time (alignment on); then every call hangs. A budget longer than the frame interval
    # means a frame that waited for each late mask would cost the next one: the output would fall to half its rate.
    hang = Hang(after=5, limit=60.0)
    p, rec = live(FaultyFactory(hang=hang), fps=10.0, budget_ms=200.0)
    p.start()
    try:
        wait_for(lambda: p.stats().align, what="alignment on")
        assert hang.entered.wait(20.0)
        frames_in, out, _ = counts(p)
        wait_for(lambda: counts(p)[1] >= out + 30, what="frames out while the model hangs")
        frames_in2, out2, _ = counts(p)
        assert out2 - out >= 0.9 * (frames_in2 - frames_in) - 2
        assert p.stats().frames_repeated == 0 and p.stats().align  # still on: the model was fast; it is late now
    finally:
        hang.release.set()
        assert p.close()
