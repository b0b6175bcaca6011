"""A still scene reuses its refined alpha and its background (studio.control.reuse), and the background gets the alpha
(the halo-free blur in the live output). The output is driven frame by frame with process(), on this thread; frame
times are given, so the gate's tiers follow them and nothing depends on how fast the box is."""

from __future__ import annotations

import math
import time

import numpy as np

from studio.capture.synthetic import SyntheticSource
from studio.compose.backgrounds import BlurBackground
from studio.compose.refine import MaskRefiner
from studio.config.settings import RefineSettings, ThermalSettings
from studio.control import commands as cmd
from studio.control.compose_inputs import MAX_DEFERRED
from studio.control.events import EventHub
from studio.control.gate import MotionGate
from studio.control.output_thread import MaskFeed, OutputStages, OutputThread, SourceInfo
from studio.control.reuse import StillReuse
from studio.control.thermal import ThermalGovernor
from studio.core.frame import AFTER, Frame, Mask
from studio.core.mailbox import LatestSlot
from studio.output.simple import NullSink


class CountingBlur(BlurBackground):
    """A real blur that counts its renders and remembers whether it was given the subject's alpha."""

    def __init__(self) -> None:
        super().__init__(21)
        self.renders = 0
        self.with_alpha = 0

    def render_small(self, frame_bgr, alpha=None):  # what the output thread calls (render calls it too)
        self.renders += 1
        self.with_alpha += alpha is not None
        return super().render_small(frame_bgr, alpha)


class CountingRefiner(MaskRefiner):
    def __init__(self) -> None:
        super().__init__(RefineSettings())
        self.calls = 0

    def refine(self, *args, **kwargs):
        self.calls += 1
        return super().refine(*args, **kwargs)


def _output(source, motion_refresh_s=math.inf):
    masks: LatestSlot[Mask] = LatestSlot()
    bg, refiner = CountingBlur(), CountingRefiner()
    stages = OutputStages(MotionGate(), ThermalGovernor(ThermalSettings(), None), refiner, bg, [NullSink()],
                          reuse=StillReuse(refresh_s=motion_refresh_s))
    out = OutputThread(LatestSlot(), MaskFeed(masks), stages, SourceInfo(lambda: source.fps), EventHub())
    return out, masks, bg, refiner


def _run(out, masks, source, frames, t0):
    for i in range(frames):
        image = source.read()
        if i == 0:
            small = np.zeros((36, 64), np.float32)
            small[10:36, 20:44] = 1.0
            masks.put(Mask(small, 0, t0, t0, (64, 36), 0.001))
        out.process(Frame(image, i, t0 + i / 30.0))


def test_a_still_scene_reuses_alpha_and_background_until_something_changes():
    source = SyntheticSource(160, 90, 30.0, motion="still", realtime=False)
    source.open()
    out, masks, bg, refiner = _output(source)
    t0 = time.perf_counter() - 100.0
    try:
        _run(out, masks, source, 90, t0)  # 3 s of a still picture: fast -> moderate -> static within ~1 s
        assert out.stats.tier == "static"
        reused = out._stages.reuse.reused  # noqa: SLF001
        assert reused["refine"] > 30 and reused["background"] > 30, reused
        assert refiner.calls + reused["refine"] == 90
        assert bg.renders + reused["background"] == 90
        assert bg.with_alpha == bg.renders  # every render after the first mask leaves the subject out
        # a command (here: refine settings) makes the next frame recompute both
        calls, renders = refiner.calls, bg.renders
        out.send(cmd.SetRefine(RefineSettings(smoothing=0.2)))
        out._run_commands()  # noqa: SLF001 - what the thread's loop does at the frame boundary
        out.process(Frame(source.read(), 90, t0 + 3.0))
        assert (refiner.calls, bg.renders) == (calls + 1, renders + 1)
        # and a new mask is refined at once
        masks.put(Mask(np.ones((36, 64), np.float32), 91, t0, t0, (64, 36), 0.001))
        out.process(Frame(source.read(), 91, t0 + 3.03))
        assert refiner.calls == calls + 2
    finally:
        out.release()


def test_a_moving_scene_recomputes_every_frame():
    source = SyntheticSource(160, 90, 30.0, motion="fast", realtime=False)
    source.open()
    out, masks, bg, refiner = _output(source)
    try:
        _run(out, masks, source, 40, time.perf_counter() - 100.0)
        assert out.stats.tier != "static"
        assert refiner.calls == 40 and bg.renders == 40
    finally:
        out.release()


def test_still_reuse_refreshes_at_its_rate():
    reuse = StillReuse(refresh_s=0.5)
    assert reuse.refine_due(0.0, "static", False)  # nothing to reuse yet
    assert not reuse.refine_due(0.2, "static", False)
    assert reuse.refine_due(0.3, "static", True)  # a new mask
    assert not reuse.refine_due(0.79, "static", False)
    assert reuse.refine_due(0.81, "static", False)  # the refresh
    assert reuse.refine_due(0.82, "moderate", False)  # motion
    assert reuse.background_due(0.0, "static", False)
    assert not reuse.background_due(0.1, "static", False)
    assert reuse.background_due(0.1, "static", True)  # an animated background never waits
    reuse.reset()
    assert reuse.background_due(0.2, "static", False)
    assert reuse.reused == {"refine": 2, "background": 1}


def test_a_fast_source_refines_and_blurs_on_alternate_frames():
    """60 fps, moving: a frame refines or blurs, not both (the compositor re-guides the edge with each frame's grey);
    every frame is still composited. 30 fps does both on every frame (test_a_moving_scene_recomputes_every_frame)."""
    source = SyntheticSource(160, 90, 60.0, motion="fast", realtime=False)
    source.open()
    out, masks, bg, refiner = _output(source)
    t0 = time.perf_counter() - 100.0
    both = 0
    try:
        for i in range(60):
            calls, renders = refiner.calls, bg.renders
            if i == 0:
                small = np.zeros((36, 64), np.float32)
                small[10:36, 20:44] = 1.0
                masks.put(Mask(small, 0, t0, t0, (64, 36), 0.001))
            out.process(Frame(source.read(), i, t0 + i / 60.0))
            both += refiner.calls > calls and bg.renders > renders
        assert out.stats.tier != "static" and out.stats.frames_out == 60
        assert 25 <= refiner.calls <= 35 and 25 <= bg.renders <= 35, (refiner.calls, bg.renders)
        assert both <= 1  # the first frame has nothing to reuse
    finally:
        out.release()


def test_split_frames_follow_the_source_rate():
    reuse = StillReuse()
    p60, p30 = 1 / 60, 1 / 30
    assert reuse.refine_due(0.0, "fast", True, p60) and reuse.background_due(0.0, "fast", False, p60)
    assert not reuse.refine_due(p60, "fast", False, p60) and not reuse.background_due(p60, "fast", False, p60)
    assert reuse.refine_due(2 * p60, "fast", False, p60) and not reuse.background_due(2 * p60, "fast", False, p60)
    assert not reuse.refine_due(3 * p60, "fast", False, p60) and reuse.background_due(3 * p60, "fast", False, p60)
    assert reuse.refine_due(3.5 * p60, "fast", True, p60)  # a new mask is refined at once
    fresh = StillReuse()
    for i in range(3):  # 30 fps: both on every frame
        assert fresh.refine_due(i * p30, "fast", False, p30) and fresh.background_due(i * p30, "fast", False, p30)


def test_a_frame_that_takes_most_of_its_interval_splits_too():
    """30 fps: both every frame while a whole frame's work fits; split once it takes over 80 % of the interval (4K on
    two cores), and back only under 65 %."""
    p30 = 1 / 30
    reuse = StillReuse()
    for stage, ms in (("refine", 5.0), ("background", 3.0), ("composite", 8.0)):
        reuse.observe(stage, ms / 1000)
    assert reuse.refine_due(0.0, "fast", False, p30) and reuse.background_due(0.0, "fast", False, p30)
    assert reuse.refine_due(p30, "fast", False, p30) and reuse.background_due(p30, "fast", False, p30)
    for _ in range(40):
        reuse.observe("composite", 0.020)  # the mean climbs to ~20 ms: 5 + 3 + 20 = 28 ms > 26.7 ms
    # both were done a frame ago: neither now, then one each
    assert not reuse.refine_due(2 * p30, "fast", False, p30) and not reuse.background_due(2 * p30, "fast", False, p30)
    assert reuse.refine_due(3 * p30, "fast", False, p30) and not reuse.background_due(3 * p30, "fast", False, p30)
    assert not reuse.refine_due(4 * p30, "fast", False, p30) and reuse.background_due(4 * p30, "fast", False, p30)
    for _ in range(40):
        reuse.observe("composite", 0.015)  # 23 ms: under 80 %, over 65 %: still split
    assert not reuse.refine_due(4.2 * p30, "fast", False, p30)
    for _ in range(60):
        reuse.observe("composite", 0.010)  # 18 ms < 21.7 ms: whole frames again
    assert reuse.refine_due(4.4 * p30, "fast", False, p30) and reuse.background_due(4.4 * p30, "fast", False, p30)
    assert not reuse.refine_due(4.6 * p30, "static", False, p30)  # a still scene keeps its own rate


def _moving_at_60():
    """A 60 fps moving scene, its output, and a subject's mask to give it (t0: the frames' times start there)."""
    source = SyntheticSource(160, 90, 60.0, motion="fast", realtime=False)
    source.open()
    out, masks, bg, refiner = _output(source)
    small = np.zeros((36, 64), np.float32)
    small[10:36, 20:44] = 1.0
    return source, out, masks, bg, refiner, time.perf_counter() - 100.0, small


def test_split_frames_work_after_they_are_out_but_refine_their_own_mask_first():
    """While split (60 fps), a frame's refine or blur is done once it is out, for the next frame (timings AFTER); a
    mask made for an earlier frame is refined after the frame that first gets it and is shown by the next one (its
    mask_ms still recorded); a mask made for the frame itself (alignment) is refined before that frame goes out."""
    source, out, masks, bg, refiner, t0, small = _moving_at_60()
    try:
        frames = []
        for i in range(30):
            if i == 0:
                masks.put(Mask(small, 0, t0, t0, (64, 36), 0.001))
            frames.append(Frame(source.read(), i, t0 + i / 60.0))
            out.process(frames[-1])
        assert sum(f.timings[AFTER] > 0 for f in frames[2:]) >= 20
        shown = len(out.windows.mask_latency)
        calls = refiner.calls
        masks.put(Mask(small.copy(), 25, t0 + 25 / 60.0, t0, (64, 36), 0.001))  # made for an earlier frame
        late = Frame(source.read(), 30, t0 + 30 / 60.0)
        out.process(late)
        assert refiner.calls == calls + 1 and late.timings[AFTER] > 0
        assert out._last_packet.mask_frame_index == 0  # noqa: SLF001 - cut with the mask it had
        nxt = Frame(source.read(), 31, t0 + 31 / 60.0)
        out.process(nxt)
        assert out._last_packet.mask_frame_index == 25  # noqa: SLF001 - the next frame shows it
        assert len(out.windows.mask_latency) == shown + 1  # and its mask_ms is recorded
        own = Frame(source.read(), 32, t0 + 32 / 60.0)
        masks.put(Mask(small.copy(), 32, own.t_capture, t0, (64, 36), 0.001))
        out.process(own)
        assert out._last_packet.mask_frame_index == 32 and own.timings["refine"] > 0  # noqa: SLF001
    finally:
        out.release()


def test_work_after_a_frame_waits_while_it_would_hold_up_the_next_one():
    """Split frames (60 fps): a frame taken too late for its work to end before the next one is due, or with the
    next one already waiting, leaves that work for a later frame: at the latest every MAX_DEFERRED + 1 frames, and
    every frame again once there is time."""
    source, out, masks, bg, refiner, t0, small = _moving_at_60()
    masks.put(Mask(small, 0, t0, t0, (64, 36), 0.001))

    both = []  # frames whose work after them both refined and blurred

    def frames(start, count, taken):
        made = [Frame(source.read(), i, t0 + i / 60.0) for i in range(start, start + count)]
        for f in made:
            calls, renders = refiner.calls, bg.renders
            out.process(f, t_out=taken())
            both.append(f.timings[AFTER] > 0 and refiner.calls > calls and bg.renders > renders)
        return sum(f.timings[AFTER] > 0 for f in made)

    try:
        frames(0, 6, lambda: None)  # the clock learns the period
        late = frames(6, 30, lambda: time.perf_counter() - 1.0)  # each next frame was due a second ago
        assert 30 // (MAX_DEFERRED + 1) - 1 <= late <= 30 // (MAX_DEFERRED + 1) + 1, late
        # work joined while waiting is done a part per gap (refine first), both at once only when the blur has
        # waited MAX_DEFERRED gaps: the next frame gets a new plan or a new background, rarely both
        assert sum(both) <= late // (MAX_DEFERRED + 1) + 1, (sum(both), late)
        out._frames.put(Frame(source.read(), 99, t0))  # noqa: SLF001 - a frame already waits in the slot
        waiting = frames(36, 30, time.perf_counter)
        assert waiting <= 30 // (MAX_DEFERRED + 1) + 1, waiting
        out._frames.get(0)  # noqa: SLF001
        on_time = frames(66, 30, time.perf_counter)  # a 160x90 frame's work takes well under a period
        assert on_time >= 25, on_time
        assert refiner.calls + bg.renders >= 30 + 30  # nothing was dropped for good: the work was done, later
    finally:
        out.release()


def test_an_aligned_frame_is_blurred_while_its_own_mask_is_made():
    """With alignment on, a submitted frame's background is rendered before the wait for its own mask (with the
    alpha there is: the last frame's), so the blur is off the mask's way to the output; rendered once, and the own
    mask is refined after it. A frame not submitted renders after its refine, as before."""
    source = SyntheticSource(160, 90, 30.0, motion="fast", realtime=False)
    source.open()
    order = []

    class Blur(CountingBlur):
        def render_small(self, frame_bgr, alpha=None):
            order.append("render")
            return super().render_small(frame_bgr, alpha)

    class Refiner(CountingRefiner):
        def refine(self, *args, **kwargs):
            order.append("refine")
            return super().refine(*args, **kwargs)

    masks: LatestSlot[Mask] = LatestSlot()
    small = np.zeros((36, 64), np.float32)
    small[10:36, 20:44] = 1.0
    submitted = []

    def submit(job):  # the model, instantly: the frame's own mask is there when the output waits for it
        submitted.append(job.frame.index)
        masks.put(Mask(small.copy(), job.frame.index, job.frame.t_capture, job.frame.t_capture, (64, 36), 0.001))

    stages = OutputStages(MotionGate(), ThermalGovernor(ThermalSettings(), None), Refiner(), Blur(), [NullSink()])
    out = OutputThread(LatestSlot(), MaskFeed(masks, submit=submit, work_s=lambda: 0.005), stages,
                       SourceInfo(lambda: source.fps), EventHub())
    early = 0
    try:
        for i in range(12):
            del order[:]
            time.sleep(1 / 30)  # frames at the source's pace: alignment judges the time since capture
            out.process(Frame(source.read(), i, time.perf_counter()))
            if i >= 2 and out.stats.align.on and submitted[-1:] == [i]:  # aligned: the model's 5 ms fit a frame
                assert order == ["render", "refine"], (i, order)
                early += 1
        assert early >= 5 and stages.background.renders == 12
    finally:
        out.release()
