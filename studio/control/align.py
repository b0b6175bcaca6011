"""Mask alignment: whether the output thread waits, bounded, for the mask of the frame it is about to composite.

Without it every frame is cut with a mask at least one frame old (the gate submits frame N and N goes out with the
mask of N-1): the mask trails a moving hand by a frame interval plus the model's work. With it, when the gate has just
submitted frame N and the model's recent work fits the latency budget, the output waits until N's own mask is
published or the frame's deadline passes (then it takes the newest mask and moves on: output never stalls).

The budget is ``live.latency_budget_ms``, or with 0 one frame interval of the source (a frame then goes out before
the next one arrives, whatever the rate; a late mask costs at most that once, see ``mask_for``). Whether
the model fits is decided from medians, not single frames: the time a frame spends before it is submitted (hand-off
and gate), the model's recent work (the inference side's rolling median) and the time after the wait (refine,
background, composite, sinks). A model too slow for the budget switches alignment off by itself (and back on when it
fits again, with hysteresis so a model near the edge does not flap).
"""

from __future__ import annotations

import collections
import math
import statistics
import time
from dataclasses import dataclass

from studio.config.settings import LiveSettings
from studio.core.frame import Frame, Mask
from studio.core.kinds import AlignMode
from studio.core.mailbox import LatestSlot

# Switch off when the expected latency exceeds the budget, back on only below this share of it (hysteresis).
ON_AGAIN_SHARE = 0.85
COST_WINDOW = 31  # frames in the medians of the time before and after the wait


@dataclass(frozen=True, slots=True)
class AlignState:
    """What the output does about alignment now (published in the stats; the GUI and `studio cam` show it)."""

    mode: str = AlignMode.AUTO.value  # as asked: an AlignMode value
    on: bool = False  # waiting for each submitted frame's own mask now
    budget_ms: float = math.nan  # the effective budget (the setting, or auto from the frame interval)
    expected_ms: float = math.nan  # what an aligned frame is expected to take: before + model work + after
    reason: str = "no mask yet"  # why it is off ("" when on)


class MaskAligner:
    """The decision, the deadline and the bounded wait; lives on the output thread (settings arrive as a SetLive
    command)."""

    def __init__(self, settings: LiveSettings | None = None) -> None:
        self._settings = settings or LiveSettings()
        self._before: collections.deque[float] = collections.deque(maxlen=COST_WINDOW)
        self._after: collections.deque[float] = collections.deque(maxlen=COST_WINDOW)
        self._after_s = 0.0
        self._late_at = -1  # the mask sequence when a waited-for mask was last late (see mask_for)
        self.state = AlignState(mode=self._settings.align_mask)

    def configure(self, settings: LiveSettings) -> None:
        self._settings = settings

    def reset(self) -> None:
        """A new source: its costs start afresh."""
        self._before.clear()
        self._after.clear()
        self._after_s = 0.0

    def budget_s(self, period_s: float) -> float:
        asked = self._settings.latency_budget_ms
        return asked / 1000.0 if asked > 0 else period_s

    def update(self, work_s: float, period_s: float) -> bool:
        """Decide for the next frame from the model's recent work and the source's frame interval; True when the
        state changed."""
        mode = self._settings.align_mask
        budget = self.budget_s(period_s)
        before = statistics.median(self._before) if self._before else 0.0
        self._after_s = statistics.median(self._after) if self._after else 0.0
        expected = before + work_s + self._after_s
        if mode == AlignMode.OFF:
            on, reason = False, "live.align_mask is off"
        elif math.isnan(work_s):
            on, reason = False, "no mask yet"
        elif expected > budget or (not self.state.on and expected > ON_AGAIN_SHARE * budget):
            on, reason = False, (f"a frame would take {expected * 1000:.0f} ms, "
                                 f"the model {work_s * 1000:.0f} ms of it")
        else:
            on, reason = True, ""
        new = AlignState(mode, on, budget * 1000.0, expected * 1000.0, reason)
        changed = (new.mode, new.on) != (self.state.mode, self.state.on)
        self.state = new
        return changed

    def mask_for(self, masks: LatestSlot[Mask], frame: Frame, submitted: bool) -> Mask | None:
        """The mask to cut ``frame`` with. The newest there is, unless alignment is on and ``frame`` was just
        submitted: then its own, waiting for it at most until the frame's deadline; a late mask is not waited for
        past that, the newest one goes out instead, so the output rate never drops."""
        if not (submitted and self.state.on) or masks.sequence == self._late_at:
            return masks.peek()
        wait = self.deadline(frame.t_capture) - time.perf_counter()
        mask = masks.wait_until(lambda m: m.frame_index >= frame.index, wait)
        if mask is None or mask.frame_index < frame.index:
            # Late: no more waiting until the model publishes again, so a hung or stalled backend costs one wait,
            # not one on every frame until the watchdog steps in.
            self._late_at = masks.sequence
        return mask

    def deadline(self, t_capture: float) -> float:
        """When a frame captured at ``t_capture`` must stop waiting for its mask to go out within the budget."""
        return t_capture + self.state.budget_ms / 1000.0 - self._after_s

    def add_costs(self, before_s: float, after_s: float | None) -> None:
        """A submitted frame's time before the submit (hand-off, gate) and, when it got a new mask, after the wait
        (refine ... sinks): the costs of the frames alignment is about."""
        self._before.append(before_s)
        if after_s is not None:
            self._after.append(after_s)
