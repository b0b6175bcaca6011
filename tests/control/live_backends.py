"""Deterministic backends for the live-pipeline tests: where the model is not what is under test.

Each one honours the Backend protocol (studio.inference.base) and records where and how often it was used, so tests can
check which thread built it, how many were made, and that every one was closed. ``HangingBackend`` hangs on a
``threading.Event`` with a bounded wait, so a test always ends its hang (no thread outlives the test).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

import numpy as np

from studio.inference.base import BackendInfo
from studio.models.spec import ModelSpec

TEST_SPEC = ModelSpec(name="test-model", kind="portrait", file="none.onnx", licence="MIT", source="tests",
                      layout="NHWC", color="RGB", input_size=(64, 64), embedded=False)


def disc(w: int, h: int, value: float = 1.0) -> np.ndarray:
    """A centred disc (the 'subject') as a 1xHxWx1 probability map."""
    yy, xx = np.mgrid[0:h, 0:w]
    r = min(w, h) * 0.3
    out = ((xx - w / 2) ** 2 + (yy - h / 2) ** 2 <= r * r).astype(np.float32) * value
    return out[None, :, :, None]


class ScriptedBackend:
    """Returns a fixed disc; ``behaviour(call_number)`` may raise or block to script a failure."""

    def __init__(self, name: str, device: str, spec: ModelSpec, value: float = 1.0, behaviour=None) -> None:
        self.name = name
        self.device = device
        self.spec = spec
        self.value = value
        self.behaviour = behaviour
        self.calls = 0
        self.closed = False
        self.thread = threading.current_thread().name
        self._out = disc(*spec.input_size, value)

    @classmethod
    def available_devices(cls) -> list[str]:
        return ["CPU"]

    def load(self, spec, path, device="auto") -> BackendInfo:
        return self.info

    def infer(self, tensor: np.ndarray) -> np.ndarray:
        self.calls += 1
        if self.behaviour is not None:
            self.behaviour(self.calls)
        return self._out

    def supports_shape(self, width: int, height: int) -> bool:
        return (width, height) == tuple(self.spec.input_size)

    @property
    def info(self) -> BackendInfo:
        return BackendInfo(self.name, "test", self.device)

    def close(self) -> None:
        self.closed = True


@dataclass
class ScriptedFactory:
    """A backend_factory(spec, backend_name, device). ``script`` maps a backend name to a behaviour or to an exception
    raised at load time; ``values`` maps a name to the disc value it outputs (tells which backend made a mask)."""

    script: dict = field(default_factory=dict)
    values: dict = field(default_factory=dict)
    made: list = field(default_factory=list)
    load_failures: list = field(default_factory=list)

    def __call__(self, spec: ModelSpec, backend: str, device: str) -> ScriptedBackend:
        action = self.script.get(backend)
        if isinstance(action, BaseException):
            self.load_failures.append(backend)
            raise action
        b = ScriptedBackend(backend, device, spec, self.values.get(backend, 1.0), action)
        self.made.append(b)
        return b


class Hang:
    """A behaviour that blocks on calls listed in ``on_calls`` (all calls when None) until ``release`` is set, at most
    ``limit`` seconds (so a forgotten release cannot hang the suite). ``once``: only the first matching call hangs
    (the behaviour is shared by every backend a factory makes; a restarted backend then works)."""

    def __init__(self, on_calls=None, limit: float = 20.0, once: bool = False) -> None:
        self.on_calls = on_calls
        self.limit = limit
        self.once = once
        self.hangs = 0
        self.release = threading.Event()
        self.entered = threading.Event()

    def __call__(self, call: int) -> None:
        if self.on_calls is None or call in self.on_calls:
            if self.once and self.hangs:
                return
            self.hangs += 1
            self.entered.set()
            self.release.wait(self.limit)


class Crash:
    """A behaviour that raises on calls listed in ``on_calls`` (all calls when None)."""

    def __init__(self, on_calls=None) -> None:
        self.on_calls = on_calls

    def __call__(self, call: int) -> None:
        if self.on_calls is None or call in self.on_calls:
            raise RuntimeError(f"scripted crash on call {call}")


def chain_of(*names: str):
    """A fallback_chain(backend, device) like the registry's: the names after the failing one."""

    def chain(backend: str, device: str):
        start = names.index(backend) + 1 if backend in names else 0
        return [(n, "CPU") for n in names[start:]]

    return chain
