"""What a frame may reuse from the frames before: the refined alpha and the rendered background, in a still scene and,
from a source over 40 fps or one whose frames take most of their interval, on alternate frames of a moving one (see
SPLIT_BELOW_S and SPLIT_LOAD).

With a still subject in front of a still room, the motion gate's static tier already runs inference only on change
(plus a keep-alive); but refining the mask, blurring the background and compositing still ran on every frame, so a
still picture cost 0.97x a moving clip with selfie. The refined alpha and the blurred background of a still scene are
the same from one frame to the next (sensor noise aside, which a blur removes and the refinement's eps ignores), so
the output thread reuses them and recomputes them at ``refresh_s`` or at once when anything changes: a new mask, a
tier above static, a command (a new background, refine settings), a frame of another size. The composite itself is
never reused: it carries the live frame (blinks, lips) over what was reused.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from studio.control.gate import STATIC

REFRESH_S = 0.5  # a still scene's alpha and background are recomputed twice a second (and at once on any change)
# A source faster than this (50-60 fps) refines and blurs a moving scene on alternate frames, one or the other: masks
# come at most ~30 times a second, the compositor re-guides the edge with every frame's own grey (clip(a * grey + b)),
# and a blur's background moves slowly; a frame then costs the composite plus one of the two (1080p60: about 8-9 ms
# instead of 12-13 on this box). 30 fps and slower refine and blur every frame, as before.
SPLIT_BELOW_S = 0.025
# Slower sources split too while a whole frame's work (refine + background + composite, each a running mean over the
# frames that did it) is over this share of the frame interval, until it falls under the second: a frame that cannot
# be made in time keeps the frame rate and refines less often (4K at 30 fps on two cores), as the picture must never
# stutter. Measured on the stages' own costs, so splitting does not lower the estimate that started it.
SPLIT_LOAD = (0.8, 0.65)
COST_WEIGHT = 0.1  # the running means' weight of a new cost


@dataclass
class StillReuse:
    """Decides, per frame on the output thread, whether the refined alpha and the background can be reused.

    ``refine_due`` and ``background_due`` answer for this frame and, when they answer True, count the recompute
    (the caller then recomputes); ``reused`` counts the frames that reused each (stats, tests)."""

    refresh_s: float = REFRESH_S
    enabled: bool = True
    _refined_at: float = -math.inf
    _rendered_at: float = -math.inf
    _refined_now = False  # the last refine_due answered True (this frame refines: a split frame then does not blur)
    _loaded = False  # split for the load (see SPLIT_LOAD)
    reused: dict[str, int] = field(default_factory=lambda: {"refine": 0, "background": 0})
    costs: dict[str, float] = field(default_factory=dict)  # running mean seconds per stage, when it ran

    def observe(self, stage: str, seconds: float) -> None:
        """The time ``stage`` ("refine", "background", "composite"; "plan-ahead", "background-ahead": see
        studio.control.compose_inputs) took on a frame that did it."""
        old = self.costs.get(stage)
        self.costs[stage] = seconds if old is None else old + COST_WEIGHT * (seconds - old)

    def reset(self) -> None:
        """Recompute both on the next frame (a command was applied, the source changed)."""
        self._refined_at = self._rendered_at = -math.inf

    def refine_due(self, now: float, tier: str, new_mask: bool, period: float = 0.0) -> bool:
        """``new_mask``: due whatever else (a new mask, or nothing refined yet). ``period``: the source's frame
        interval (0: unknown, never split; see SPLIT_BELOW_S)."""
        self._refined_now = self._due(now, tier, self._refined_at, period) or new_mask
        if self._refined_now:
            self._refined_at = now
            return True
        self.reused["refine"] += 1
        return False

    def background_due(self, now: float, tier: str, animated: bool, period: float = 0.0) -> bool:
        """Call after refine_due for the same frame (or without it on a frame that has no mask). ``animated``: due
        whatever else (a moving background, or nothing rendered yet)."""
        refined, self._refined_now = self._refined_now, False
        due = self._due(now, tier, self._rendered_at, period)
        if due and refined and self.splitting(tier, period):
            due = now - self._rendered_at >= 2.5 * period  # the next frame blurs; never more than 3 frames old
        if animated or due:
            self._rendered_at = now
            return True
        self.reused["background"] += 1
        return False

    def splitting(self, tier: str, period: float) -> bool:
        """Whether frames refine and blur on alternate frames now (see SPLIT_BELOW_S, SPLIT_LOAD)."""
        if not self.enabled or tier == STATIC or period <= 0:
            return False
        if period < SPLIT_BELOW_S:
            return True
        work = sum(self.costs.get(stage, 0.0) for stage in ("refine", "background", "composite"))
        self._loaded = work > SPLIT_LOAD[1 if self._loaded else 0] * period
        return self._loaded

    def _due(self, now: float, tier: str, since: float, period: float = 0.0) -> bool:
        if self.splitting(tier, period):
            return now - since >= 1.5 * period  # every other frame
        return not self.enabled or tier != STATIC or now - since >= self.refresh_s
