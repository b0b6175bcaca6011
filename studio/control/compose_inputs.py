"""What the output thread composites a frame with: the refined alpha (the newest mask, moved with the picture and
refined) and the rendered background; made for this frame, reused from an earlier one (studio.control.reuse), or,
while frames are split, made right after this frame is out, for the next one.

Split frames (a source over 40 fps, or frames whose work takes most of their interval: StillReuse.splitting) refine
or blur on alternate frames. That work is done once the frame has gone to the sinks, so a frame's latency is its gate
and composite alone, and the next frame is cut with what it made (the compositor re-guides the edge at full size with
that frame's own grey). A mask made for this very frame (mask alignment waited for it) is refined before the frame is
composited, and so is the first one. The time spent after a frame is its timings' AFTER, outside its latency.

That work waits while it would hold up the next frame (one is already waiting, or its running-mean cost would end past
the time the next frame is due): it is kept, joined by the next frame's, and done with the newest frame after a later
one, at the latest after MAX_DEFERRED frames. On a busy box the edge is then refined less often rather than the
picture coming late (1080p60 when the box slows; 4K30, where a frame's composite leaves less time than the work
takes). Only a blur's render is left for later: a picture's or a colour's is a kept buffer, nothing to save. When
there is time left, that work also makes what the next composite would make first with it (the tile plan, the
scaled-up blur: ``_ahead``).

A frame that waits for its own mask (alignment) has its background rendered before that wait (``render_early``), with
the alpha there is, so the blur is not on the mask's way to the output.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from studio.compose.base import render_for_compositor, renders_small
from studio.control.gate import FAST, MODERATE, STATIC
from studio.core.frame import AFTER, Frame, Mask

# Share of the configured temporal smoothing used per motion tier: full on a still subject (steady edges, no flicker),
# none when it moves fast (an average of past masks trails a halo behind the subject).
SMOOTHING_BY_TIER = {STATIC: 1.0, MODERATE: 0.5, FAST: 0.0}
# The most frames the work left for after a frame waits for a gap (see the module's doc): the edge is refined at least
# every third frame, however busy the box.
MAX_DEFERRED = 2


@dataclass(frozen=True)
class Prepared:
    """A frame's inputs to the compositor. ``mask``: the mask ``alpha`` was refined from (None: no mask yet, and no
    alpha). ``shown``: a mask this frame shows for the first time, and its work (pre + infer + post + refine)."""

    alpha: np.ndarray | None
    background: np.ndarray | None
    mask: Mask | None
    shown: tuple[Mask, float] | None
    coefficients: tuple[np.ndarray, np.ndarray] | None = None  # the refiner's, when it offers them
    # Compositor.composite keeps its tile plan while field_key stands (it changes with every refine) and its
    # scaled-up background while background_key does (it changes with every render)
    field_key: object = None
    background_key: object = None


@dataclass
class _After:
    mask: Mask | None  # to refine for ``frame``
    render: bool  # the background, for ``frame``
    frame: Frame
    tier: str


def _field_key(refiner) -> tuple[int, int]:
    """Equal for equal refiner output (Compositor.composite's field_key)."""
    return id(refiner), refiner.generation


class ComposeInputs:
    """On the output thread only. ``prepare`` before compositing a frame, ``finish`` once it is out."""

    def __init__(self) -> None:
        self.alpha: np.ndarray | None = None
        self.background: np.ndarray | None = None
        self.last_mask: Mask | None = None  # the mask ``alpha`` was refined from
        self._after: _After | None = None
        self._unshown: tuple[Mask, float] | None = None  # refined after its frame: the next frame shows it first
        self._deferred = 0  # frames ``_after`` has waited for a gap
        self._render_waits = 0  # gaps a render left for later gave to a refine (see finish)
        self._renders = 0  # the background's renders so far: its key for the compositor
        self._early: Frame | None = None  # the frame whose background render_early decided

    def reset(self) -> None:
        """Nothing is reused (a frame of another size)."""
        self.alpha = self.background = None
        self._after = None
        self._deferred = self._render_waits = 0

    def render_early(self, st, frame: Frame, tier: str, period: float) -> None:
        """Render ``frame``'s background now, if it is due, with the alpha there is (the last frame's: the halo-free
        blur's weights, soft anyway): called while the frame's own mask is being made (alignment), so the blur is
        off the mask's way to the output. Not for split frames (their work is after the frame anyway)."""
        animated = getattr(st.background, "animated", False)
        if self.alpha is None or st.reuse.splitting(tier, period):
            return
        if st.reuse.background_due(frame.t_capture, tier, animated or self.background is None, period):
            self._render(st, frame, self.last_mask)
        self._early = frame

    def prepare(self, st, frame: Frame, mask: Mask | None, tier: str, period: float, timings: dict[str, float],
                start: float) -> tuple[Prepared, float]:
        """``st``: the OutputStages. Records the "refine" and "background" stages in ``timings`` as laps from
        ``start`` (where the previous stage ended); returns the inputs and where the background stage ended."""
        shown, self._unshown = self._unshown, None
        split = st.reuse.splitting(tier, period)
        later_mask, refined_now = None, False
        if mask is not None:
            # a mask already waiting to be refined after a frame is not new to this one
            new = mask is not self.last_mask and (self._after is None or mask is not self._after.mask)
            own = mask.frame_index == frame.index  # alignment waited for it: refined before the frame goes out
            # reuse runs on capture time: a re-emitted frame is the same picture; tests give the frames' times
            due = st.reuse.refine_due(frame.t_capture, tier, new or self.alpha is None, period)
            if due and split and self.alpha is not None and not own:
                later_mask = mask
            elif due:
                shown = self._refine(st, mask, frame, tier) or shown
                refined_now = True
        t1 = time.perf_counter()
        timings["refine"] = t1 - start
        animated = getattr(st.background, "animated", False)
        early, self._early = self._early is frame, None
        render = not early and st.reuse.background_due(frame.t_capture, tier, animated or self.background is None,
                                                       period)
        # a picture or a colour costs nothing to "render" (a kept buffer): only a blur's is worth leaving for later
        render_later = (render and split and self.background is not None and not animated
                        and renders_small(st.background))
        rendered_now = render and not render_later
        if rendered_now:
            self._render(st, frame, mask)
        end = time.perf_counter()
        timings["background"] = (timings.get("background", 0.0) if early else 0.0) + end - t1
        pending = self._after
        if pending is not None:  # deferred: joins this frame's, and what this frame made itself is newer
            if later_mask is None and not refined_now:
                later_mask = pending.mask
            render_later = render_later or (pending.render and not rendered_now)
        self._after = _After(later_mask, render_later, frame, tier) if later_mask is not None or render_later else None
        if mask is None or self.last_mask is None:
            return Prepared(None, self.background, None, shown, background_key=self._background_key()), end
        return Prepared(self.alpha, self.background, self.last_mask, shown, st.refiner.coefficients,
                        _field_key(st.refiner), self._background_key()), end

    def _background_key(self) -> tuple[int, int]:
        return id(self), self._renders

    def finish(self, st, timings: dict[str, float], *, next_frame_at: float | None = None,
               frame_waiting: bool = False) -> None:
        """The work this frame left for after it was out (see the module's doc), timed as AFTER. ``next_frame_at``
        (perf_counter seconds: when the next frame is due; None: no deadline) and ``frame_waiting`` (one is already
        there) let it wait for a gap."""
        after = self._after
        timings[AFTER] = 0.0
        if after is None:
            return
        part = after
        if after.mask is not None and after.render and self._render_waits < MAX_DEFERRED:
            # joined work is done a part per gap, the refine first: the next frame then gets a new plan or a new
            # background, not both (4K: one frame that did both took 30-40 ms to composite instead of 15-24)
            part = _After(after.mask, False, after.frame, after.tier)
        if self._deferred < MAX_DEFERRED and (frame_waiting or (
                next_frame_at is not None and time.perf_counter() + self._cost(st, part) > next_frame_at)):
            self._deferred += 1
            return
        if part is after:
            self._after, self._render_waits = None, 0 if after.render else self._render_waits
        else:
            self._after = _After(None, True, after.frame, after.tier)
            self._render_waits += 1
        self._deferred = 0
        after = part
        t0 = time.perf_counter()
        if after.mask is not None:
            self._unshown = self._refine(st, after.mask, after.frame, after.tier)
        if after.render:
            self._render(st, after.frame, self.last_mask)
        self._ahead(st, after, next_frame_at)
        timings[AFTER] = time.perf_counter() - t0

    def _ahead(self, st, after: _After, next_frame_at: float | None) -> None:
        """What the next frame's composite would do first with what this work made (plan the new field's tiles,
        scale the new background up), done now while there is time before it is due, off its latency; else the
        composite does it as it would have."""
        jobs = []
        if after.mask is not None:
            jobs.append(("plan-ahead", lambda: st.compositor.plan_ahead(
                after.frame.image, self.alpha, st.refiner.coefficients, _field_key(st.refiner))))
        if after.render:
            jobs.append(("background-ahead", lambda: st.compositor.background_ahead(
                self.background, after.frame.image.shape, self._background_key())))
        for stage, job in jobs:
            t0 = time.perf_counter()
            if next_frame_at is not None and t0 + st.reuse.costs.get(stage, 0.0) > next_frame_at:
                continue
            job()
            st.reuse.observe(stage, time.perf_counter() - t0)

    @staticmethod
    def _cost(st, after: _After) -> float:
        """The work's expected seconds: the running means of the stages it runs (0 before one has run)."""
        costs = st.reuse.costs
        return (costs.get("refine", 0.0) if after.mask is not None else 0.0) + \
            (costs.get("background", 0.0) if after.render else 0.0)

    def _refine(self, st, mask: Mask, frame: Frame, tier: str) -> tuple[Mask, float] | None:
        """Refine ``mask`` for ``frame``; a mask refined for the first time comes back with its work (pre + infer +
        post + refine), for mask_ms once a frame shows it. A mask from an earlier frame moves with the picture
        first (studio.compose.warp); the moved one is new to the refiner, so its edges and temporal state follow the
        subject. Not in the static tier: nothing to follow there, and a still scene must cost next to nothing."""
        t0 = time.perf_counter()
        new = mask is not self.last_mask
        moved = None if tier == STATIC else st.warp.warp(mask.alpha, mask.frame_index, frame.index)
        self.alpha = st.refiner.refine(mask.alpha if moved is None else moved, frame.image,
                                       new_mask=new or moved is not None,
                                       smoothing_scale=SMOOTHING_BY_TIER.get(tier, 1.0))
        self.last_mask = mask
        seconds = time.perf_counter() - t0
        st.reuse.observe("refine", seconds)
        return (mask, mask.infer_seconds + seconds) if new else None

    def _render(self, st, frame: Frame, mask: Mask | None) -> None:
        # the subject's alpha lets a blur leave the subject out (halo-free); None before the first mask
        t0 = time.perf_counter()
        self.background = render_for_compositor(st.background, frame.image, None if mask is None else self.alpha)
        self._renders += 1
        st.reuse.observe("background", time.perf_counter() - t0)
