"""MotionGate: tiers and inference rates on synthetic still/slow/fast scenes, hysteresis, hold, cap, cuts."""

from __future__ import annotations

import collections

import cv2
import numpy as np
import pytest

from studio.capture.synthetic import SyntheticSource
from studio.config.settings import GateSettings
from studio.control.gate import MotionGate

FPS = 30.0


def run_scene(motion: str, seconds: float, gate: MotionGate | None = None, size=(640, 360)):
    src = SyntheticSource(*size, FPS, motion=motion, noise=2.0, realtime=False)
    src.open()
    gate = gate or MotionGate(GateSettings())
    decisions = [gate.update(src.read(), i / FPS) for i in range(int(seconds * FPS))]
    return gate, decisions


def settled(decisions, seconds: float):
    """The decisions of the last ``seconds``."""
    return decisions[-int(seconds * FPS):]


def test_first_frame_always_runs():
    gate = MotionGate()
    d = gate.update(np.zeros((90, 160, 3), np.uint8), 0.0)
    assert d.run_inference and d.reason == "first"


def test_still_scene_settles_to_static_tier_and_runs_only_the_keepalive():
    _, ds = run_scene("still", 6.0)
    tail = settled(ds, 4.0)
    assert {d.tier for d in tail} == {"static"}
    runs = [d for d in tail if d.run_inference]
    assert len(runs) == 2  # one keep-alive every 2 s, nothing else: the picture does not change
    assert {d.reason for d in runs} == {"keepalive"}
    assert max(d.level for d in tail) < GateSettings().change_threshold


def test_fast_scene_runs_every_frame():
    _, ds = run_scene("fast", 2.0)
    tail = settled(ds, 1.0)
    assert collections.Counter(d.tier for d in tail)["fast"] >= 0.9 * len(tail)
    assert all(d.run_inference for d in tail if d.tier == "fast")


def test_moving_scene_runs_about_fifteen_per_second():
    _, ds = run_scene("moving", 4.0)
    tail = settled(ds, 2.0)
    tiers = collections.Counter(d.tier for d in tail)
    assert tiers["moderate"] >= 0.8 * len(tail), tiers
    runs = sum(d.run_inference for d in tail if d.tier == "moderate")
    moderate_seconds = tiers["moderate"] / FPS
    assert abs(runs / moderate_seconds - 15.0) <= 2.0


def test_slow_scene_sits_between_static_and_moderate():
    _, ds = run_scene("slow", 4.0)
    tail = settled(ds, 2.0)
    assert {d.tier for d in tail} <= {"static", "moderate"}
    assert "fast" not in {d.tier for d in tail}
    runs_per_s = sum(d.run_inference for d in tail) / 2.0
    assert 4.5 <= runs_per_s <= 15.5


def test_rates_are_configurable():
    settings = GateSettings(static_fps=2.0)
    gate = MotionGate(settings)
    feed(gate, 0.0, 2.0, 0.0)
    # A small change on every frame (above change_threshold, below moderate): the static tier runs at 2/s.
    ds, _ = feed(gate, SMALL, 2.0, 2.0)
    assert {d.tier for d in ds} == {"static"}
    assert sum(d.run_inference for d in ds) in (3, 4, 5)
    assert {d.reason for d in ds if d.run_inference} == {"change"}


def toggling_frames(fraction: float, n: int, start: int = 0):
    """Frames where ``fraction`` of the picture flips between black and white every frame: motion level = fraction."""
    h, w = 180, 320
    cols = int(round(fraction * w))
    for i in range(start, start + n):
        img = np.full((h, w, 3), 128, np.uint8)
        img[:, :cols] = 255 if i % 2 else 0
        yield img


SMALL = "small"  # feed()'s fraction for a small change: a 24x8 patch flips, 1/3 % of the picture (static tier)


def small_change_frames(n: int, start: int = 0):
    """Frames where a 24x8 patch (on the gate's 4-pixel grid) flips every frame: above the gate's change threshold,
    below the moderate tier's."""
    for i in range(start, start + n):
        img = np.full((180, 320, 3), 128, np.uint8)
        img[40:48, 40:64] = 255 if i % 2 else 0
        yield img


def feed(gate: MotionGate, fraction, seconds: float, t0: float):
    out = []
    n = int(seconds * FPS)
    frames = small_change_frames(n) if fraction == SMALL else toggling_frames(fraction, n)
    for k, img in enumerate(frames):
        out.append(gate.update(img, t0 + k / FPS))
    return out, t0 + int(seconds * FPS) / FPS


def test_hysteresis_and_hold_time():
    s = GateSettings(moderate_threshold=0.01, fast_threshold=0.10, hysteresis=0.5, hold_s=0.5)
    gate = MotionGate(s)
    ds, t = feed(gate, 0.20, 1.0, 0.0)
    assert ds[-1].tier == "fast"
    # 7 %: below the fast threshold but above its exit level (5 %): stays fast however long it lasts.
    ds, t = feed(gate, 0.07, 2.0, t)
    assert {d.tier for d in ds} == {"fast"}
    # 3 %: below the exit level: steps down to moderate, but only after the hold time.
    ds, t = feed(gate, 0.03, 2.0, t)
    assert ds[-1].tier == "moderate"
    # Back up is immediate.
    ds, t = feed(gate, 0.20, 0.1, t)
    assert ds[0].tier == "fast"
    ds, t = feed(gate, 0.0, 0.3, t)
    assert {d.tier for d in ds} == {"fast"}  # below every threshold, but held for 0.5 s first
    ds, t = feed(gate, 0.0, 2.0, t)
    assert ds[-1].tier == "static"


def test_max_tier_caps_the_rate():
    gate = MotionGate()
    gate.max_tier = "moderate"
    _, ds = run_scene("fast", 3.0, gate)
    tail = settled(ds, 2.0)
    assert {d.tier for d in tail} == {"moderate"}
    assert 28 <= sum(d.run_inference for d in tail) <= 32
    gate.max_tier = "fast"
    with pytest.raises(ValueError):
        gate.max_tier = "ludicrous"


def test_scene_cut_runs_at_once():
    gate = MotionGate()
    still = np.full((180, 320, 3), 100, np.uint8)
    t = 0.0
    for _ in range(90):
        gate.update(still, t)
        t += 1 / FPS
    d = gate.update(still, t)
    assert d.tier == "static"
    # Find a frame where the static tier skips, then cut to a different picture there.
    while d.run_inference:
        t += 1 / FPS
        d = gate.update(still, t)
    t += 1 / FPS
    d = gate.update(np.full_like(still, 220), t)
    assert d.run_inference and d.reason == "cut" and d.tier == "fast"


def test_new_frame_size_counts_as_first_frame():
    gate = MotionGate()
    gate.update(np.zeros((180, 320, 3), np.uint8), 0.0)
    gate.update(np.zeros((180, 320, 3), np.uint8), 0.01)
    d = gate.update(np.zeros((240, 320, 3), np.uint8), 0.02)
    assert d.run_inference and d.reason == "first"


def test_disabled_gate_runs_every_frame():
    _, ds = run_scene("still", 2.0, MotionGate(GateSettings(enabled=False)))
    assert all(d.run_inference for d in ds)


def test_real_motion_on_davis_is_fast_and_a_repeated_real_frame_is_static(shared_data):
    frames = sorted((shared_data / "davis" / "dance-twirl" / "img").glob("*.jpg"))[:30]
    assert frames
    gate = MotionGate()
    ds = [gate.update(cv2.imread(str(f)), i / FPS) for i, f in enumerate(frames)]
    assert collections.Counter(d.tier for d in ds[1:])["fast"] >= 0.9 * (len(ds) - 1)
    still = cv2.imread(str(frames[0]))
    gate = MotionGate()
    ds = [gate.update(still, i / FPS) for i in range(90)]
    assert ds[-1].tier == "static"


def settle_still(gate: MotionGate, seconds: float = 3.0):
    """A still picture long enough for the gate to reach the static tier; returns the time after it."""
    _, t = feed(gate, 0.0, seconds, 0.0)
    assert gate.update(next(toggling_frames(0.0, 1)), t).tier == "static"
    return t + 1 / FPS


def test_keepalive_interval_is_a_setting_and_runs_on_schedule():
    gate = MotionGate(GateSettings(keepalive_s=0.5))
    t = settle_still(gate)
    ds, _ = feed(gate, 0.0, 3.0, t)
    runs = [k for k, d in enumerate(ds) if d.run_inference]
    assert len(runs) == 6 and all(ds[k].reason == "keepalive" for k in runs)
    assert {b - a for a, b in zip(runs, runs[1:])} == {15}  # every 0.5 s at 30 fps


def test_model_cost_caps_the_static_tier_duty_cycle():
    # A 200 ms model at max_duty 0.2 may run once a second, however much the still scene wiggles; a 4 ms one keeps
    # static_fps (5/s): the seed's tiers stay for cheap models.
    for cost, expected in ((0.2, 3), (0.004, 15)):
        gate = MotionGate(GateSettings(max_duty=0.2), cost=lambda cost=cost: cost)
        t = settle_still(gate)
        ds, _ = feed(gate, SMALL, 3.0, t)
        assert {d.tier for d in ds} == {"static"}
        assert sum(d.run_inference for d in ds) in (expected, expected + 1), cost
    gate = MotionGate(GateSettings(max_duty=0.2), cost=lambda: 0.2)
    assert gate.static_interval() == pytest.approx(1.0)
    # The keep-alive obeys the cap too: a 2 s model at 0.2 runs every 10 s, not every 2 s.
    gate.cost = lambda: 2.0
    assert gate.static_interval() == pytest.approx(10.0)
    t = settle_still(gate)
    ds, _ = feed(gate, 0.0, 12.0, t)
    assert sum(d.run_inference for d in ds) == 1


def test_unknown_cost_does_not_cap():
    gate = MotionGate(GateSettings(), cost=lambda: float("nan"))
    assert gate.static_interval() == pytest.approx(1 / GateSettings().static_fps)


def test_a_change_after_a_still_spell_runs_at_once():
    gate = MotionGate(GateSettings(max_duty=0.2), cost=lambda: 0.2)
    t = settle_still(gate)
    ds, t = feed(gate, 0.0, 1.5, t)  # still: nothing runs between keep-alives
    assert not any(d.run_inference for d in ds[-10:])
    # A small change (static tier) runs on its own frame: the last inference is more than the cap's 1 s ago.
    d = gate.update(next(small_change_frames(1, start=1)), t)
    assert d.tier == "static" and d.run_inference and d.reason == "change"
    # A large one steps up to a moving tier and runs at once, whatever the still scene's cap says.
    gate = MotionGate(GateSettings(max_duty=0.2), cost=lambda: 0.2)
    t = settle_still(gate)
    ds, t = feed(gate, 0.0, 0.2, t)
    d = gate.update(next(toggling_frames(0.05, 1, start=1)), t)
    assert d.tier == "fast" and d.run_inference


def test_a_change_held_back_by_the_cap_still_runs_once_the_cap_allows():
    gate = MotionGate(GateSettings(max_duty=0.2, keepalive_s=60.0), cost=lambda: 0.2)
    t = settle_still(gate)
    ds, t = feed(gate, SMALL, 1 / FPS * 2, t)  # one changing frame pair: runs (cap allows) ...
    assert ds[0].run_inference
    ds, t = feed(gate, SMALL, 0.2, t)  # ... the change goes on inside the cap's second: held back
    assert not any(d.run_inference for d in ds[1:])
    ds, t = feed(gate, 0.0, 1.5, t)  # still again: the held-back change runs once, when the cap allows
    runs = [d for d in ds if d.run_inference]
    assert len(runs) == 1 and runs[0].reason == "change"
