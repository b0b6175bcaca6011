"""MotionGate: decide per frame whether the segmentation model needs to run, from a cheap motion level.

A still subject does not need 30 masks a second: the refiner re-fits the last mask to each new frame. The gate measures
motion on a tiny greyscale copy (about 160 px wide: a nearest-neighbour step then an area average, ~0.1 ms on a 720p
frame, against several ms for one inference) as the fraction of pixels whose brightness changed by more than
``PIXEL_DELTA`` since the previous frame, and maps it to a tier with a target inference rate:

    static   -> settings.static_fps     (default 5/s)
    moderate -> settings.moderate_fps   (default 15/s)
    fast     -> settings.fast_fps       (default 0 = every frame)

Stepping up is immediate (a motion burst must not wait); stepping down (one tier at a time) needs the level to fall
below the tier's threshold times ``1 - hysteresis`` and the tier to have been held for ``hold_s``. ``max_tier`` caps the tier (the thermal
governor lowers it on a hot box). The first frame, a size change and a scene cut always run inference.

The static tier does not run on a clock: a still picture has nothing new to say. It runs when the picture changed
(a level of at least ``change_threshold`` on any frame since the last inference, so a change the cap held back is
still run once the cap allows) and otherwise only as a keep-alive every ``keepalive_s``. Its rate is capped twice:
by ``static_fps`` and by the model's cost, so that inference takes at most ``max_duty`` of one core in a still
scene (``cost()`` is the inference side's recent work time per mask; a 200 ms model at 0.2 runs at most once a
second, selfie's 4 ms fits 5/s easily). The moving tiers are not capped by cost: a moving subject needs every mask
the model can give, and the inference worker takes only the newest frame anyway.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import cv2
import numpy as np

from studio.config.settings import GateSettings

TIERS = ("static", "moderate", "fast")
STATIC, MODERATE, FAST = TIERS  # what the other modules compare a tier with
PIXEL_DELTA = 12  # grey levels; above sensor noise on a 2x2-averaged copy, below a hand moving against a wall
SCENE_CUT_FRACTION = 0.5  # half the picture changed at once: a cut, a camera swap or a light switched on


@dataclass(frozen=True, slots=True)
class GateDecision:
    level: float  # fraction of pixels that moved since the previous frame, 0..1
    tier: str  # one of TIERS, after the max_tier cap
    run_inference: bool
    reason: str = ""  # "first", "cut", "due" (a moving tier's rate), "change", "keepalive", "" (skipped)


def tier_index(tier: str) -> int:
    try:
        return TIERS.index(tier)
    except ValueError:
        raise ValueError(f"unknown tier {tier!r}; expected one of {', '.join(TIERS)}") from None


class MotionGate:
    """Not thread-safe: one gate per output thread. ``configure`` and ``max_tier`` are set from that same thread."""

    def __init__(self, settings: GateSettings | None = None, *, width: int = 160,
                 cost: Callable[[], float] | None = None) -> None:
        self.settings = settings or GateSettings()
        self.width = width
        # Seconds of inference work per mask, recently (NaN or 0 while unknown): caps the static tier's duty cycle.
        self.cost = cost or (lambda: 0.0)
        self._dirty = False  # the picture changed since the last inference
        self._max_tier = len(TIERS) - 1
        self._frame_size: tuple[int, int] | None = None
        self._prev: np.ndarray | None = None
        self._cur: np.ndarray | None = None
        self._coarse: np.ndarray | None = None
        self._small: np.ndarray | None = None
        self._diff: np.ndarray | None = None
        self._tier = 0  # before the cap
        self._tier_since = 0.0
        self._last_run: float | None = None
        self._dt = 1.0 / 30.0  # smoothed frame interval, for the "is an inference due" tolerance
        self._last_t: float | None = None
        self.level = 0.0

    # -- configuration -----------------------------------------------------------------------------------------
    def configure(self, settings: GateSettings) -> None:
        """New thresholds and rates; the motion history is kept, so a settings change causes no hiccup."""
        self.settings = settings

    @property
    def max_tier(self) -> str:
        return TIERS[self._max_tier]

    @max_tier.setter
    def max_tier(self, tier: str) -> None:
        self._max_tier = tier_index(tier)

    @property
    def small_grey(self) -> np.ndarray | None:
        """The last frame's small grey copy (a buffer the next update overwrites; copy to keep it): the mask warper
        measures motion on it rather than shrinking the frame a second time."""
        return self._prev  # motion_level swaps the buffers: the frame just measured is in _prev

    def reset(self) -> None:
        """Forget the previous frame: the next one runs inference (used after a source swap)."""
        self._frame_size = None
        self._last_run = None
        self._last_t = None
        self._dirty = False

    # -- per frame ---------------------------------------------------------------------------------------------
    def _allocate(self, w: int, h: int) -> None:
        sw = self.width if w > self.width else w
        sh = max(1, round(h * sw / w))
        self._frame_size = (w, h)
        self._coarse = np.empty((sh * 2, sw * 2, 3), np.uint8)
        self._small = np.empty((sh, sw, 3), np.uint8)
        self._prev = np.empty((sh, sw), np.uint8)
        self._cur = np.empty((sh, sw), np.uint8)
        self._diff = np.empty((sh, sw), np.uint8)

    def _shrink(self, frame_bgr: np.ndarray) -> np.ndarray:
        sh, sw = self._cur.shape
        # Nearest to twice the target (cheap: reads 1 pixel in 16 on 720p), then a 2x2 area average against noise.
        cv2.resize(frame_bgr, (sw * 2, sh * 2), dst=self._coarse, interpolation=cv2.INTER_NEAREST)
        cv2.resize(self._coarse, (sw, sh), dst=self._small, interpolation=cv2.INTER_AREA)
        cv2.cvtColor(self._small, cv2.COLOR_BGR2GRAY, dst=self._cur)
        return self._cur

    def motion_level(self, frame_bgr: np.ndarray) -> float | None:
        """Fraction of pixels that changed since the previous call; None on the first frame (or a new size)."""
        h, w = frame_bgr.shape[:2]
        first = self._frame_size != (w, h)
        if first:
            self._allocate(w, h)
        cur = self._shrink(frame_bgr)
        level = None
        if not first:
            cv2.absdiff(cur, self._prev, dst=self._diff)
            cv2.threshold(self._diff, PIXEL_DELTA, 1, cv2.THRESH_BINARY, dst=self._diff)
            level = cv2.countNonZero(self._diff) / self._diff.size
        self._prev, self._cur = self._cur, self._prev
        return level

    def _rate(self, tier: int) -> float:
        s = self.settings
        return (s.static_fps, s.moderate_fps, s.fast_fps)[tier]

    def _next_tier(self, level: float, t: float) -> int:
        s = self.settings
        raw = 2 if level >= s.fast_threshold else 1 if level >= s.moderate_threshold else 0
        if raw > self._tier:
            return raw
        if raw < self._tier:
            # Leave a tier only when clearly below its entry threshold and after holding it for a while; one step
            # at a time, so fast -> static takes two holds.
            entry = s.fast_threshold if self._tier == 2 else s.moderate_threshold
            if level < entry * (1.0 - s.hysteresis) and t - self._tier_since >= s.hold_s:
                return self._tier - 1
        return self._tier

    def static_interval(self) -> float:
        """The least time between two static-tier inferences: ``static_fps`` or the duty cap, whichever is longer."""
        s = self.settings
        cost = self.cost()
        cost = cost if cost > 0 else 0.0  # NaN or 0 while no mask has come yet: nothing to cap by
        return max(1.0 / s.static_fps, cost / s.max_duty)

    def _static_run(self, t: float) -> str:
        """Why the static tier runs now ("change" or "keepalive"), or "" when it skips."""
        since = t - self._last_run
        interval = self.static_interval()
        slack = 0.5 * self._dt  # half a frame: timestamp jitter must not push a run one frame late
        if self._dirty and since >= interval - slack:
            return "change"
        if since >= max(self.settings.keepalive_s, interval) - slack:
            return "keepalive"
        return ""

    def update(self, frame_bgr: np.ndarray, t: float) -> GateDecision:
        """Motion level, tier and whether to run inference for the frame captured at ``t`` (seconds)."""
        if self._last_t is not None and t > self._last_t:
            self._dt += 0.1 * ((t - self._last_t) - self._dt)
        self._last_t = t
        level = self.motion_level(frame_bgr)
        if level is None:
            self.level = 0.0
            self._tier, self._tier_since, self._last_run = len(TIERS) - 1, t, t
            self._dirty = False
            return GateDecision(0.0, TIERS[min(self._tier, self._max_tier)], True, "first")
        self.level = level
        if level >= self.settings.change_threshold:
            self._dirty = True
        if level >= SCENE_CUT_FRACTION:
            self._tier, self._tier_since, self._last_run = len(TIERS) - 1, t, t
            self._dirty = False
            return GateDecision(level, TIERS[min(self._tier, self._max_tier)], True, "cut")
        new = self._next_tier(level, t)
        if new != self._tier:
            self._tier, self._tier_since = new, t
        tier = min(self._tier, self._max_tier)
        if not self.settings.enabled or self._last_run is None:
            reason = "due"
        elif tier == 0:
            reason = self._static_run(t)
        else:
            rate = self._rate(tier)
            # Half a frame of tolerance: at 30 fps a 15/s tier runs on every second frame despite timestamp jitter.
            due = rate <= 0 or t - self._last_run >= 1.0 / rate - 0.5 * self._dt
            reason = "due" if due else ""
        if reason:
            self._last_run, self._dirty = t, False
        return GateDecision(level, TIERS[tier], bool(reason), reason)
