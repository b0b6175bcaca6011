"""FrameClock on a made-up timeline: the rate comes from arrivals, re-emits sit on absolute deadlines."""

from __future__ import annotations

import pytest

from studio.control.clock import FrameClock


def feed(clock: FrameClock, n: int, period: float, start: float = 100.0, first_index: int = 0) -> float:
    t = start
    for i in range(n):
        t = start + i * period
        clock.arrived(first_index + i, t)
    return t


def test_the_rate_is_measured_from_arrivals_not_taken_from_the_claim():
    clock = FrameClock(lambda: 60.0)  # a container that says 60 fps
    assert clock.period == pytest.approx(1 / 60)
    feed(clock, 10, 1 / 30)
    assert clock.measured and clock.period == pytest.approx(1 / 30)
    assert clock.sink_fps() == pytest.approx(30.0)  # the claim is off by more than 10 %: the measurement wins


def test_dropped_frames_do_not_stretch_the_period():
    clock = FrameClock(lambda: 30.0)
    for k in range(10):  # every third captured frame reaches the output
        clock.arrived(3 * k, 100.0 + 3 * k / 30)
    assert clock.period == pytest.approx(1 / 30)
    assert clock.sink_fps() == 30.0  # the claim agrees with the measurement: kept as claimed


@pytest.mark.parametrize("claim", [0.0, float("nan"), 1e6, -5.0])
def test_an_absurd_claim_falls_back_to_a_webcam_rate(claim):
    assert FrameClock(lambda: claim).period == pytest.approx(1 / 30)


def test_a_stall_is_noticed_after_three_periods_and_re_emits_keep_the_grid():
    clock = FrameClock(lambda: 30.0)
    last = feed(clock, 10, 1 / 30)
    p = 1 / 30
    assert clock.due(last + 2.9 * p) is None and not clock.stalled
    assert clock.wait_s(last + 2.0 * p) == pytest.approx(p)  # wakes no later than the stall threshold
    due = clock.due(last + 3.0 * p + 1e-6)
    assert clock.stalled and due == pytest.approx(last + 3 * p)
    # each re-emit finishes some time after its deadline: the next deadline does not move with it
    deadlines = []
    for _ in range(30):
        due = clock.due(0.0)
        deadlines.append(due)
        clock.repeated(due + 0.6 * p)
    gaps = [b - a for a, b in zip(deadlines, deadlines[1:])]
    assert all(g == pytest.approx(p) for g in gaps)
    clock.arrived(10, last + 40 * p)
    assert not clock.stalled and clock.due(last + 40.5 * p) is None


def test_a_thread_that_falls_behind_skips_deadlines_instead_of_bursting():
    clock = FrameClock(lambda: 30.0)
    last = feed(clock, 10, 1 / 30)
    p = 1 / 30
    due = clock.due(last + 3 * p)
    clock.repeated(due + 3.5 * p)  # a hiccup of 3.5 periods
    assert clock.due(0.0) == pytest.approx(due + 3 * p) and clock.repeats_skipped == 2


def test_a_lost_source_starts_re_emits_on_the_next_deadline():
    clock = FrameClock(lambda: 30.0)
    last = feed(clock, 10, 1 / 30)
    p = 1 / 30
    assert clock.due(last + 0.5 * p, lost=True) == pytest.approx(last + p)


def test_reset_forgets_the_old_rate():
    clock = FrameClock(lambda: 25.0)
    last = feed(clock, 10, 1 / 30)
    clock.reset()
    assert not clock.measured and clock.period == pytest.approx(1 / 25)
    feed(clock, 5, 1 / 25, start=last + 1.0, first_index=10)
    assert clock.period == pytest.approx(1 / 25)
