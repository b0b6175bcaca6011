import threading
import time

import pytest

from studio.core.stats import LatencyWindow, RateMeter
from studio.core.worker import Worker, WorkerState, live_studio_threads


class Counter(Worker):
    def __init__(self, fail_at=None):
        super().__init__("counter")
        self.n = 0
        self.fail_at = fail_at
        self.torn_down = threading.Event()

    def _run_once(self):
        self.n += 1
        if self.fail_at is not None and self.n >= self.fail_at:
            raise RuntimeError("boom")
        time.sleep(0.001)

    def _teardown(self):
        self.torn_down.set()


def test_lifecycle_start_stop_join():
    w = Counter()
    assert w.state is WorkerState.NEW
    w.start()
    deadline = time.monotonic() + 5
    while w.n < 5 and time.monotonic() < deadline:
        time.sleep(0.005)
    assert w.state is WorkerState.RUNNING
    assert w.last_heartbeat > 0
    assert w.close(5)
    assert w.state is WorkerState.STOPPED and w.torn_down.is_set()
    assert not live_studio_threads()
    with pytest.raises(RuntimeError):
        w.start()


def test_failure_is_kept_not_swallowed():
    w = Counter(fail_at=3)
    w.start()
    assert w.join(5)
    assert w.state is WorkerState.FAILED
    assert isinstance(w.error, RuntimeError) and w.torn_down.is_set()


def test_rate_meter_with_fake_clock():
    now = [0.0]
    m = RateMeter(window=1.0, clock=lambda: now[0])
    for i in range(31):
        m.tick(i / 30)
    now[0] = 1.0
    assert m.rate() == pytest.approx(30, rel=0.05)
    now[0] = 5.0
    assert m.rate() == 0.0  # everything aged out


def test_latency_percentiles():
    w = LatencyWindow(size=100, keep_all=True)
    for i in range(1, 201):
        w.add(i / 1000)
    p = w.percentiles()
    assert p[50] == pytest.approx(150.5, abs=0.6)  # window keeps the last 100 samples: 101..200 ms
    assert w.percentiles(everything=True)[50] == pytest.approx(100.5, abs=0.6)


@pytest.mark.skipif(not __import__("sys").platform.startswith("linux"), reason="OS thread names are read from /proc")
def test_worker_thread_carries_its_name_in_the_os():
    """`top -H` and /proc must tell the output thread's CPU from OpenCV's and the runtimes' threads."""
    seen = {}

    class Namer(Worker):
        def _run_once(self):
            tid = threading.get_native_id()
            with open(f"/proc/self/task/{tid}/comm") as f:
                seen["comm"] = f.read().strip()
            return False

    w = Namer("output")
    w.start()
    assert w.join(5)
    assert seen["comm"] == "studio-output"
