"""InferenceWorker and its supervisor (watchdog): restarts on crash and hang, fallback, swaps, no leaked threads."""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "control"))
from live_backends import TEST_SPEC, Crash, Hang, ScriptedFactory, chain_of  # noqa: E402

from studio.config.settings import InferenceSettings  # noqa: E402
from studio.core.errors import BackendUnavailable  # noqa: E402
from studio.core.frame import Frame  # noqa: E402
from studio.core.mailbox import LatestSlot  # noqa: E402
from studio.inference.segmenter import Segmenter  # noqa: E402
from studio.inference.watchdog import InferenceSupervisor  # noqa: E402
from studio.inference.worker import InferenceJob, InferenceWorker  # noqa: E402
from waiting import wait_for  # noqa: E402


def job(i: int, tier: str = "fast") -> InferenceJob:
    img = np.full((48, 64, 3), i % 255, np.uint8)
    return InferenceJob(Frame(img, i, time.perf_counter()), tier)


def supervisor(factory, *, backend="a", chain=("a", "b"), timeout=5.0, events=None, **kw):
    events = events if events is not None else []
    sup = InferenceSupervisor(InferenceSettings(model="test-model", backend=backend, device="CPU", timeout_s=timeout),
                              factory=factory, spec_for=lambda name: TEST_SPEC, chain=chain_of(*chain),
                              on_event=lambda kind, msg, hint: events.append((kind, msg)), **kw)
    return sup, events


# -- the worker alone ----------------------------------------------------------------------------------------------

def test_worker_builds_its_backend_on_its_own_thread_and_publishes_tagged_masks():
    factory = ScriptedFactory()
    jobs, masks = LatestSlot(), LatestSlot()
    w = InferenceWorker(lambda: Segmenter(TEST_SPEC, factory(TEST_SPEC, "a", "CPU")), jobs, masks)
    w.start()
    try:
        wait_for(w.ready.is_set, what="backend loaded")
        jobs.put(job(7))
        m = masks.get(timeout=5.0)
        assert m is not None and m.frame_index == 7 and m.input_size == (64, 64)
        assert m.alpha.shape == (64, 64) and m.alpha.dtype == np.float32 and m.alpha.max() == 1.0
        assert m.backend == "a test on CPU" and m.t_ready >= m.t_capture
        assert factory.made[0].thread == w._thread.name  # built on the worker's thread, not the caller's
    finally:
        assert w.close()
    assert factory.made[0].closed


def test_an_abandoned_worker_never_publishes_and_ends_when_its_call_returns():
    hang = Hang(on_calls={1})
    factory = ScriptedFactory(script={"a": hang})
    jobs, masks = LatestSlot(), LatestSlot()
    w = InferenceWorker(lambda: Segmenter(TEST_SPEC, factory(TEST_SPEC, "a", "CPU")), jobs, masks)
    w.start()
    jobs.put(job(1))
    assert hang.entered.wait(5.0)
    assert w.busy_since is not None
    w.abandon()
    hang.release.set()
    assert w.join(5.0)
    assert masks.sequence == 0  # the result of the hung call was thrown away
    assert factory.made[0].closed


def test_an_inactive_candidate_loads_but_takes_no_job_until_activated():
    factory = ScriptedFactory()
    jobs, masks = LatestSlot(), LatestSlot()
    w = InferenceWorker(lambda: Segmenter(TEST_SPEC, factory(TEST_SPEC, "a", "CPU")), jobs, masks, active=False)
    w.start()
    try:
        wait_for(w.ready.is_set)
        jobs.put(job(1))
        time.sleep(0.3)
        assert masks.sequence == 0
        w.activate()
        assert masks.get(timeout=5.0).frame_index == 1
    finally:
        assert w.close()


# -- the supervisor ------------------------------------------------------------------------------------------------

def feed(sup, start, n, every=0.02):
    for i in range(start, start + n):
        sup.submit(job(i))
        time.sleep(every)


def test_crash_restarts_the_worker_then_falls_back():
    factory = ScriptedFactory(script={"a": Crash()}, values={"b": 0.5})  # "a" crashes on every call
    sup, events = supervisor(factory, restarts_before_fallback=2)
    sup.start()
    try:
        i = 0
        def fell_back():
            nonlocal i
            feed(sup, i, 3)
            i += 3
            return any(k == "backend-fallback" for k, _ in events)
        wait_for(fell_back, what="fallback to b")
        wait_for(lambda: (feed(sup, i, 1), sup.masks.peek() is not None and sup.masks.peek().backend.startswith("b"))[1],
                 what="a mask from b")
        st = sup.status()
        assert st.restarts == 1 and st.fallbacks == 1 and st.requested == "b/CPU"
        assert [k for k, _ in events if k in ("backend-restart", "backend-fallback")] == \
            ["backend-restart", "backend-fallback"]
        assert float(sup.masks.peek().alpha.max()) == pytest.approx(0.5)
    finally:
        assert sup.close()
    assert all(b.closed for b in factory.made)


def test_hang_is_abandoned_after_the_timeout_and_last_frames_are_resubmitted():
    hang = Hang(on_calls={2}, once=True)
    factory = ScriptedFactory(script={"a": hang})
    sup, events = supervisor(factory, timeout=0.3, restarts_before_fallback=3)
    sup.start()
    try:
        sup.submit(job(1))
        wait_for(lambda: sup.masks.peek() is not None)
        sup.submit(job(2))  # this call hangs
        assert hang.entered.wait(5.0)
        sup.submit(job(3))
        sup.submit(job(4))
        wait_for(lambda: any(k == "backend-restart" for k, _ in events), what="restart")
        # The fresh worker (a new backend) gets the last three gated frames, oldest first; the newest wins.
        wait_for(lambda: sup.masks.peek().frame_index == 4, what="mask of the newest frame after the restart")
        assert len(factory.made) == 2 and factory.made[1].calls == 3  # frames 2, 3, 4 resubmitted
        hung = [w for w in sup.workers if w.abandoned]
        assert len(hung) == 1 and hung[0].alive
    finally:
        hang.release.set()  # the hung call returns: its worker must end without publishing
        before = sup.masks.sequence
        assert sup.close()
    assert sup.masks.sequence == before
    assert factory.made[0].closed


def test_a_backend_that_cannot_load_falls_back_at_once():
    factory = ScriptedFactory(script={"a": BackendUnavailable("no such runtime")})
    sup, events = supervisor(factory)
    sup.start()
    try:
        sup.submit(job(1))
        wait_for(lambda: sup.masks.peek() is not None, what="a mask from the fallback")
        assert sup.masks.peek().backend.startswith("b")
        assert [k for k, _ in events if k.startswith("backend")] == ["backend-fallback"]
        assert "no such runtime" in [m for k, m in events if k == "backend-fallback"][0]
    finally:
        assert sup.close()


def test_exhausted_chain_reports_an_error_and_output_keeps_the_last_mask():
    crash = Crash(on_calls=set(range(2, 100)))
    factory = ScriptedFactory(script={"a": crash, "b": Crash()})
    sup, events = supervisor(factory, restarts_before_fallback=1, retry_s=60.0)
    sup.start()
    try:
        sup.submit(job(1))
        wait_for(lambda: sup.masks.peek() is not None)
        i = 2
        def failed():
            nonlocal i
            sup.submit(job(i))
            i += 1
            time.sleep(0.02)
            return sup.status().failed
        wait_for(failed, what="chain exhausted")
        assert any(k == "error" and "every backend" in m for k, m in events)
        assert sup.masks.peek().frame_index == 1  # the last good mask stays
    finally:
        assert sup.close()


def test_swap_builds_the_new_backend_first_then_switches():
    gate = threading.Event()
    factory = ScriptedFactory(values={"b": 0.25})
    slow_factory_calls = []

    def factory_with_slow_b(spec, backend, device):
        if backend == "b":
            slow_factory_calls.append(backend)
            gate.wait(10.0)  # "b" takes its time to load
        return factory(spec, backend, device)

    sup, events = supervisor(factory_with_slow_b, chain=("a", "b"))
    sup.start()
    try:
        sup.submit(job(1))
        wait_for(lambda: sup.masks.peek() is not None)
        assert sup.apply(InferenceSettings(model="test-model", backend="b", device="CPU"))
        wait_for(lambda: slow_factory_calls)
        sup.submit(job(2))  # the old backend still serves while the new one loads
        wait_for(lambda: sup.masks.peek().frame_index == 2)
        assert sup.masks.peek().backend.startswith("a") and sup.status().loading
        gate.set()
        wait_for(lambda: sup.status().requested == "b/CPU" and not sup.status().loading, what="swap")
        wait_for(lambda: sup.masks.peek().backend.startswith("b"), what="a mask from b (last frame resubmitted)")
        assert sup.masks.peek().frame_index == 2
        assert not sup.apply(InferenceSettings(model="test-model", backend="b", device="CPU", timeout_s=9.0))
    finally:
        gate.set()
        assert sup.close()
    assert factory.made[0].closed  # the old backend was closed on its own thread


def test_per_tier_counts_and_max_area_reach_the_worker():
    factory = ScriptedFactory()
    sup, _ = supervisor(factory)
    sup.start()
    try:
        sup.set_max_area(100 * 100)
        for i, tier in enumerate(["static", "moderate", "fast"]):
            sup.submit(job(i, tier))
            wait_for(lambda: sup.status().inferences == i + 1)
        st = sup.status()
        assert st.per_tier == {"static": 1, "moderate": 1, "fast": 1}
        assert st.input_size == (64, 64) and st.infer_ms_p50 >= 0 and st.backend == "a test on CPU"
        assert all(w.max_area == 100 * 100 for w in sup.workers)
    finally:
        assert sup.close()
