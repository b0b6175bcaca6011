"""What a still scene may reuse from the frame before: the refined alpha and the rendered background.

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


@dataclass
class StillReuse:
    """Decides, per frame on the output thread, whether the refined alpha and the background can be reused.

    ``refine_due`` and ``background_due`` answer for this frame and, when they answer True, count the recompute
    (the caller then recomputes); ``reused`` counts the frames that reused each (stats, tests)."""

    refresh_s: float = REFRESH_S
    enabled: bool = True
    _refined_at: float = -math.inf
    _rendered_at: float = -math.inf
    reused: dict[str, int] = field(default_factory=lambda: {"refine": 0, "background": 0})

    def reset(self) -> None:
        """Recompute both on the next frame (a command was applied, the source changed)."""
        self._refined_at = self._rendered_at = -math.inf

    def refine_due(self, now: float, tier: str, new_mask: bool) -> bool:
        if self._due(now, tier, self._refined_at) or new_mask:
            self._refined_at = now
            return True
        self.reused["refine"] += 1
        return False

    def background_due(self, now: float, tier: str, animated: bool) -> bool:
        if animated or self._due(now, tier, self._rendered_at):
            self._rendered_at = now
            return True
        self.reused["background"] += 1
        return False

    def _due(self, now: float, tier: str, since: float) -> bool:
        return not self.enabled or tier != STATIC or now - since >= self.refresh_s
