"""Issue 8: faults never black out the picture, never leak, never hide. Each fault is injected through the real
pipeline: the real selfie model on ONNX Runtime behind a fault-injecting wrapper (faulty_backends), the real
LivePipeline, a real video file. Waits are polls with deadlines, never sleeps as synchronisation."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from faulty_backends import FaultyFactory, Hang, inf, nan, on_calls, wrong_shape

from studio.capture.synthetic import SyntheticSource
from studio.config.settings import Settings
from studio.control.pipeline import LivePipeline
from studio.core.errors import BackendUnavailable
from studio.core.worker import live_studio_threads
from studio.output.simple import CallbackSink
from waiting import wait_for

W, H, FPS = 320, 240, 30.0



class Alphas:
    """Keeps, per output frame, whether its alpha is all finite and its value at the subject's centre."""

    def __init__(self):
        self.lock = threading.Lock()
        self.rows = []  # (mask_frame_index, finite, alpha at the centre)

    def __call__(self, f):
        a = f.alpha
        row = (f.mask_frame_index, bool(np.isfinite(a).all()), float(a[a.shape[0] // 2, a.shape[1] // 2]))
        with self.lock:
            self.rows.append(row)

    def since(self, n):
        with self.lock:
            return list(self.rows[n:])

    def count(self):
        with self.lock:
            return len(self.rows)


def settings(timeout_s=5.0):
    s = Settings()
    s.source.kind, s.source.width, s.source.height, s.source.fps = "synthetic", W, H, FPS
    s.inference.backend, s.inference.device, s.inference.timeout_s = "onnxruntime", "cpu", timeout_s
    s.refine.smoothing = 0.5  # the temporal average that kept the NaN
    return s


def live(factory, *, motion="still", timeout_s=5.0):
    rec = Alphas()
    p = LivePipeline(settings(timeout_s), source=SyntheticSource(W, H, FPS, motion=motion), backend_factory=factory,
                     sinks=[CallbackSink(rec)], telemetry=False)
    events = []
    p.subscribe(events.append)
    return p, rec, events


def kinds(events):
    return [str(e.kind) for e in events]


def status(p):
    return p._inference.status()


@pytest.mark.parametrize("fault,calls", [(nan, {4, 5, 6}), (inf, {4}), (wrong_shape, {4})])
def test_a_bad_mask_is_dropped_counted_and_reported_and_the_subject_stays(fault, calls):
    """NaN (a burst of three on a still subject blacked out the output for 16 s), Inf (was clipped into a plausible
    mask) and a 7x13 output (was upscaled into a smear) never reach the picture."""
    factory = FaultyFactory(fault=on_calls(calls, fault))
    p, rec, events = live(factory)
    p.start()
    try:
        wait_for(lambda: status(p).inferences >= 2, what="good masks first")
        wait_for(lambda: status(p).rejected >= len(calls), what="the bad outputs")
        n = rec.count()
        good_after = status(p).inferences + 3
        wait_for(lambda: status(p).inferences >= good_after, what="good masks after the fault")
        wait_for(lambda: rec.count() > n + 10, what="frames after the fault")
        rows = rec.since(0)
        assert all(finite for _, finite, _ in rows), "a non-finite alpha reached the output"
        after = [centre for m, _, centre in rows if m >= 0]
        assert after and min(after) > 0.5, "the subject went missing"
        assert "mask-rejected" in kinds(events)
        st = status(p)
        assert st.rejected == len(calls) and st.fatal == ""
        if len(calls) >= 3:  # three in a row count as one failure: the backend is restarted
            assert "backend-restart" in kinds(events)
        else:
            assert "backend-restart" not in kinds(events)
    finally:
        assert p.close()


def test_a_corrupt_model_file_is_a_fatal_error_at_once(tmp_path, monkeypatch):
    """The real runtime is given a damaged file: one fatal event, no restart, no fallback, no retry; the output keeps
    flowing (without a subject) until the caller stops."""
    bad = tmp_path / "selfie.onnx"
    bad.write_bytes(b"\x08\x07not a model" * 100)
    monkeypatch.setattr("studio.models.registry.verified_path", lambda spec: bad)
    p, rec, events = live(None)
    p.start()
    try:
        wait_for(lambda: "fatal" in kinds(events), what="the fatal event")
        n = rec.count()
        wait_for(lambda: rec.count() > n + 10, what="output after the fatal error")
        p._inference.check(time.perf_counter() + 3600)  # an hour later: still nothing retried
        assert kinds(events).count("fatal") == 1
        assert not {"backend-restart", "backend-fallback", "error"} & set(kinds(events))
        st = status(p)
        assert st.fatal.startswith("selfie cannot run") and "onnxruntime cannot load" in st.fatal
        assert st.failed and st.restarts == 0 and st.fallbacks == 0
    finally:
        assert p.close()


def test_a_runtime_that_is_not_installed_is_fatal_once_the_chain_is_tried():
    factory = FaultyFactory(load_error=BackendUnavailable("openvino is not installed", hint="pip install openvino"))
    p, rec, events = live(factory)
    p.start()
    try:
        wait_for(lambda: "fatal" in kinds(events), what="the fatal event")
        asked = list(factory.asked)
        p._inference.check(time.perf_counter() + 3600)
        assert factory.asked == asked and len(asked) == len(set(asked))  # each runtime tried once, none retried
        assert "error" not in kinds(events) and kinds(events).count("fatal") == 1
        assert status(p).fatal.endswith("openvino is not installed")
    finally:
        assert p.close()


def test_a_backend_that_hangs_for_good_is_bounded_and_stop_does_not_wait_for_it():
    """A call that never returns (a stuck driver: no cancel). Before: one more thread and loaded model per restart,
    without bound, and shutdown blocked for the full join timeout."""
    hang = Hang(after=2, cancellable=False, limit=60.0)
    factory = FaultyFactory(hang=hang)
    p, rec, events = live(factory, motion="moving", timeout_s=0.1)
    sup = p._inference
    p.start()
    try:
        wait_for(lambda: "backend-hung" in kinds(events), what="the backend-hung event")
        made = len(factory.made)
        hung = status(p).hung
        assert hung == sup._hung.total_limit and made <= hung + 1
        for hours in (1, 2, 3):  # retries come and go; none starts a worker while the hung calls are inside
            sup.check(time.perf_counter() + 3600 * hours)
        assert len(factory.made) == made and status(p).hung == hung
        n = rec.count()
        wait_for(lambda: rec.count() > n + 15, what="output while every backend hangs")
        assert p.close(timeout=5.0) is False  # returns after a short grace, saying threads were left behind
        alive = [w for w in sup.workers if w.alive]
        assert 0 < len(alive) <= hung
    finally:
        hang.release.set()  # the stuck calls return at last: their workers end and close their backends
        p.join(10.0)
    wait_for(lambda: not [t for t in live_studio_threads() if t.name.startswith("studio-inference")],
             what="the hung threads to end once released")
    assert all(b.closed for b in factory.made), "a backend was left open"


def test_a_hang_in_a_backend_that_can_cancel_leaves_no_thread_and_no_backend():
    """A runtime that can cancel its call (ORT's terminate flag): the watchdog cancels the hung call, so neither a
    thread nor a loaded model is left behind, and stop() ends everything."""
    before = {t.ident for t in live_studio_threads()}
    hang = Hang(after=2, cancellable=True, limit=60.0)
    factory = FaultyFactory(hang=hang)
    p, rec, events = live(factory, motion="moving", timeout_s=0.1)
    p.start()
    try:
        wait_for(lambda: status(p).restarts + status(p).fallbacks >= 3, what="several hangs")
        assert "backend-hung" not in kinds(events)  # each hung call ended when cancelled: nothing piles up
    finally:
        assert p.close(timeout=5.0)
    assert not [t.name for t in live_studio_threads() if t.ident not in before]
    assert factory.made and all(b.closed for b in factory.made)
    hang.release.set()


def test_studio_cam_stops_at_once_on_a_permanent_error_with_a_message_and_exit_1(tmp_path, monkeypatch, capsys):
    """The model file passes the pre-flight check, then the runtime cannot load it (here: the file the runtime gets
    is damaged). Before: a minute's wait for a first mask, retries every 30 s, tracebacks, exit 0."""
    import json

    from studio.cli.main import main

    bad = tmp_path / "selfie.onnx"
    bad.write_bytes(b"\x08\x07not a model" * 100)
    monkeypatch.setattr("studio.models.registry.verified_path", lambda spec: bad)
    out = tmp_path / "stats.json"
    rc = main(["cam", "--source", "synthetic", "--duration", "60", "--no-telemetry", "--stats-json", str(out)])
    err = capsys.readouterr().err
    assert rc == 1
    assert "studio cam: fatal: selfie cannot run: onnxruntime cannot load" in err
    assert "stopped: inference cannot run" in err and "Traceback" not in err
    d = json.loads(out.read_text())
    assert d["ended_by"] == "failed" and d["inferences"] == 0  # stopped by the error, not by --duration
