"""The InferenceSupervisor's small parts (studio.inference.watchdog keeps the policy): its status snapshot and the
thread that ticks its check."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from studio.core.worker import Worker


@dataclass(frozen=True, slots=True)
class InferenceStatus:
    """A snapshot for stats: what runs, how fast, how often, and how it has been going."""

    model: str
    requested: str  # "backend/device" as asked for
    backend: str  # label of what actually runs ("" while loading)
    loading: bool
    input_size: tuple[int, int] | None
    infer_ms_p50: float
    total_ms_p50: float  # pre + infer + post
    inference_fps: float
    inferences: int
    per_tier: dict[str, int] = field(default_factory=dict)
    restarts: int = 0
    fallbacks: int = 0
    failed: bool = False  # the whole chain failed; waiting to retry
    rejected: int = 0  # model outputs dropped as not a mask (NaN, Inf, out of range, implausible shape)
    hung: int = 0  # abandoned workers still inside a backend call (each holds a thread and a loaded model)
    fatal: str = ""  # a permanent error stopped inference for good ("" when none)


class Watchdog(Worker):
    """Calls ``check`` every ``tick`` seconds on its own thread."""

    def __init__(self, check: Callable[[float], None], tick: float) -> None:
        super().__init__("watchdog")
        self._check = check
        self._tick = tick

    def _run_once(self) -> bool:
        if self._stop.wait(self._tick):
            return False
        self._check(time.perf_counter())
        return True
