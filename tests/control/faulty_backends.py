"""Fault injection around the REAL backend: the selfie model on ONNX Runtime, wrapped so chosen calls go wrong the way
a broken runtime, driver or model does (NaN, Inf, a wrong-shaped output, a call that never returns, a load error).
Plugged in through the pipeline's ``backend_factory`` hook, so everything else (worker, watchdog, refiner, output) is
the product's own code.

Hangs are bounded (``limit``) and released by the tests, so no thread outlives a test.
"""

from __future__ import annotations

import threading
import time

import numpy as np

from studio.inference import open_segmenter


def real_backend(spec):
    """The product's runtime for ``spec``: the verified file on ONNX Runtime, CPU."""
    return open_segmenter(spec, "onnxruntime", "cpu").backend


class Faulty:
    """A real backend whose output ``fault(call, out)`` may replace; ``hang`` (a Hang) may block a call first."""

    def __init__(self, real, fault=None, hang=None) -> None:
        self.real = real
        self.fault = fault
        self.hang = hang
        self.name = real.name
        self.calls = 0
        self.closed = False
        self._cancelled = threading.Event()
        if hang is not None and hang.cancellable:
            self.cancel = self._cancelled.set  # what a runtime that can cancel a call offers (ORT's terminate flag)

    def infer(self, tensor):
        self.calls += 1
        if self.hang is not None:
            self.hang(self.calls, self._cancelled)
        out = self.real.infer(tensor)
        return out if self.fault is None else self.fault(self.calls, out)

    def supports_shape(self, width, height):
        return self.real.supports_shape(width, height)

    @property
    def info(self):
        return self.real.info

    def close(self):
        self.closed = True
        self.real.close()


class Hang:
    """Calls after the ``after``-th never return (until ``release`` or ``limit`` s). ``cancellable``: ``cancel()``
    ends the waiting call with an error, as ORT's terminate flag does; otherwise it is a stuck driver call."""

    def __init__(self, after: int = 0, cancellable: bool = False, limit: float = 60.0) -> None:
        self.after = after
        self.cancellable = cancellable
        self.limit = limit
        self.release = threading.Event()
        self.entered = threading.Event()
        self._lock = threading.Lock()
        self.hung = 0

    def __call__(self, call: int, cancelled: threading.Event) -> None:
        if call <= self.after or self.release.is_set():
            return
        with self._lock:
            self.hung += 1
        self.entered.set()
        deadline = time.monotonic() + self.limit
        while time.monotonic() < deadline and not self.release.is_set():
            if cancelled.wait(0.01):
                raise RuntimeError("the call was cancelled")


class FaultyFactory:
    """backend_factory(spec, backend, device): a Faulty real backend per call; records every one it made."""

    def __init__(self, fault=None, hang=None, load_error: BaseException | None = None) -> None:
        self.fault = fault
        self.hang = hang
        self.load_error = load_error
        self.made: list[Faulty] = []
        self.asked: list[str] = []

    def __call__(self, spec, backend, device):
        self.asked.append(backend)
        if self.load_error is not None:
            raise self.load_error
        b = Faulty(real_backend(spec), self.fault, self.hang)
        self.made.append(b)
        return b


def on_calls(calls, make):
    """A fault that replaces the output of the listed calls with ``make(out)``, counting calls over every backend the
    factory makes (a burst in time, whatever restarts happen meanwhile)."""
    count = [0]

    def fault(_call, out):
        count[0] += 1
        return make(out) if count[0] in calls else out

    return fault


def nan(out):
    return np.full_like(out, np.nan)


def inf(out):
    return np.full_like(out, np.inf)


def wrong_shape(out):
    return np.full((1, 7, 13, 1), 0.9, np.float32)
