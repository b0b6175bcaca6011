"""The fallback chain: which (backend, device) a supervised inference worker runs on, and where it goes when that keeps
failing. InferenceSupervisor (studio.inference.watchdog) decides when to move; a FallbackPlan remembers where it is."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from studio.config.settings import InferenceSettings
from studio.models.spec import ModelSpec

log = logging.getLogger(__name__)


def default_chain(backend: str, device: str) -> list[tuple[str, str]]:
    """Where to go when (backend, device) keeps failing: the registry's chain (it never repeats the failing pair)."""
    from studio.inference.registry import fallback_chain

    chain = list(fallback_chain(backend, device))
    if backend == "auto" and len(chain) > 1:
        # "auto" resolved to the first runtime of this same order, and that is the one that kept failing.
        chain = chain[1:]
    return chain


@dataclass
class FallbackPlan:
    """Where a worker sits: which model, and its position on the fallback chain. The chain starts as the requested
    pair; the fallbacks are looked up the first time they are needed (listing runtimes imports them: not on the
    caller's thread, and not at all on a box where the first choice works)."""

    settings: InferenceSettings
    spec: ModelSpec
    chain: list[tuple[str, str]]
    chain_for: Callable[[str, str], list[tuple[str, str]]]
    pos: int = 0
    failures: int = 0
    extended: bool = False
    transient: bool = False  # some failure on this chain may pass (a crash, a hang); False: all were permanent

    def has_next(self) -> bool:
        if self.pos + 1 >= len(self.chain) and not self.extended:
            self.extended = True
            first = self.chain[0]
            try:
                more = self.chain_for(*first)
            except Exception:  # noqa: BLE001 - no fallbacks is an answer; the error event says what failed
                log.exception("cannot list fallback backends")
                more = []
            self.chain.extend(p for p in more if p not in self.chain)
        return self.pos + 1 < len(self.chain)

    @property
    def backend(self) -> tuple[str, str]:
        return self.chain[self.pos]

    def label(self) -> str:
        b, d = self.backend
        return f"{b}/{d}"
