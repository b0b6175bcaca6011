"""MaskWarper: move the last mask with the picture between inferences.

A gated or slow model delivers a mask made on an earlier frame; the refiner re-guides its edges with the current frame,
but a limb that moved 20 px is still cut where it was. The warper estimates dense motion from the mask's frame to the
current one on the motion gate's small grey copies (about 160 px wide, already made for every frame) with OpenCV's
DIS optical flow at its ultrafast preset, and moves the mask (at the model's resolution) along it before refining.

Flow runs backwards, current -> mask's frame, so every output pixel looks up where its content was (a backward warp
leaves no holes). Flow is measured from the mask's own frame to now, not chained frame to frame, so it does not drift
and it also covers the inference lag (a mask two frames old moves by two frames' motion).
"""

from __future__ import annotations

import cv2
import numpy as np

# Small greys kept, by frame index: a mask older than this many frames is not warped (then it is stale anyway).
HISTORY = 8
# Below this mean motion (pixels of the small grey) the picture is still: the mask is used as it is, so a still
# subject keeps the refiner's full temporal smoothing and pays nothing for flow on the mask side.
STILL_PX = 0.05
# The pyramid level DIS stops at. The ultrafast preset stops at 2 (a quarter of the image): made for video-size
# frames, on a 160 px copy that is a 40 px flow field, too coarse for a limb.
FINEST_SCALE = 1


class MaskWarper:
    """Not thread-safe: one warper per output thread, fed every frame's small grey with ``remember``."""

    def __init__(self, history: int = HISTORY, *, finest_scale: int = FINEST_SCALE, enabled: bool = True) -> None:
        self.enabled = enabled  # off: remember keeps nothing and warp moves nothing (the live.warp_mask setting)
        self.history = history
        self.finest_scale = finest_scale
        self._greys: dict[int, np.ndarray] = {}
        self._dis = None  # made on first use: the DIS object holds buffers sized to the image
        self._flow: np.ndarray | None = None
        self._scaled: np.ndarray | None = None  # flow in mask pixels, at the small size
        self._grid: np.ndarray | None = None  # identity map at the mask's size, x and y in two channels
        self._map: np.ndarray | None = None
        self._fixed: np.ndarray | None = None  # the map in remap's fixed-point form (made on first use, then reused)
        self._frac: np.ndarray | None = None
        self._out: np.ndarray | None = None
        self.last_motion_px = 0.0  # mean flow length of the last warp, small-grey pixels

    def reset(self) -> None:
        """Forget every remembered frame (source change, size change)."""
        self._greys.clear()

    def remember(self, index: int, grey: np.ndarray) -> None:
        """Keep a copy of frame ``index``'s small grey (the gate's buffer is overwritten by the next frame)."""
        if not self.enabled or grey is None:
            return
        if self._greys and next(iter(self._greys.values())).shape != grey.shape:
            self._greys.clear()  # a new frame size: older greys cannot be compared with the new ones
        spare = None
        while len(self._greys) >= self.history:
            spare = self._greys.pop(min(self._greys))  # reuse the oldest buffer: no allocation per frame
        if spare is None or spare.shape != grey.shape:
            spare = np.empty_like(grey)
        np.copyto(spare, grey)
        self._greys[index] = spare

    def has(self, index: int) -> bool:
        return index in self._greys

    def flow(self, to_index: int, from_index: int) -> np.ndarray | None:
        """Backward flow at the small size: grey[to](x) ~ grey[from](x + flow(x)); None when a frame is unknown."""
        to_grey, from_grey = self._greys.get(to_index), self._greys.get(from_index)
        if to_grey is None or from_grey is None:
            return None
        if self._dis is None:
            self._dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_ULTRAFAST)
            self._dis.setFinestScale(self.finest_scale)
        if self._flow is None or self._flow.shape[:2] != to_grey.shape:
            self._flow = np.zeros((*to_grey.shape, 2), np.float32)
        # No initial flow: each call starts from zero (calc reads `flow` as a guess only with the flag set).
        return self._dis.calc(to_grey, from_grey, self._flow)

    def warp(self, alpha: np.ndarray, from_index: int, to_index: int) -> np.ndarray | None:
        """``alpha`` (made on frame ``from_index``) moved to frame ``to_index``; a reused buffer. None when there is
        nothing to do: same frame, a frame not remembered, or a still picture (then use ``alpha`` as it is)."""
        if not self.enabled or from_index == to_index:
            return None
        flow = self.flow(to_index, from_index)
        if flow is None:
            return None
        self.last_motion_px = float(cv2.norm(flow, cv2.NORM_L1)) / (2 * flow.shape[0] * flow.shape[1])
        if self.last_motion_px < STILL_PX:
            return None
        return self._apply(alpha, flow)

    def _apply(self, alpha: np.ndarray, flow: np.ndarray) -> np.ndarray:
        mh, mw = alpha.shape[:2]
        sh, sw = flow.shape[:2]
        if self._grid is None or self._grid.shape[:2] != (mh, mw):
            xs, ys = np.meshgrid(np.arange(mw, dtype=np.float32), np.arange(mh, dtype=np.float32))
            self._grid = np.dstack((xs, ys))
            self._map = np.empty((mh, mw, 2), np.float32)
            self._fixed = self._frac = None
            self._out = np.empty((mh, mw), np.float32)
        if self._scaled is None or self._scaled.shape != flow.shape:
            self._scaled = np.empty_like(flow)
        # Flow is in small-grey pixels: scale it to mask pixels while it is small, bring it to the mask's size and add
        # the identity grid; remap takes the two-channel map as it is. Four whole-array passes, no temporaries.
        cv2.multiply(flow, (mw / sw, mh / sh, 0.0, 0.0), dst=self._scaled)
        cv2.resize(self._scaled, (mw, mh), dst=self._map, interpolation=cv2.INTER_LINEAR)
        cv2.add(self._map, self._grid, dst=self._map)
        # A fixed-point map (1/32 px, plenty for a mask) remaps about 3x faster than the float one, conversion included.
        fixed, frac = cv2.convertMaps(self._map, None, cv2.CV_16SC2, dstmap1=self._fixed, dstmap2=self._frac)
        self._fixed, self._frac = fixed, frac
        src = alpha if alpha.dtype == np.float32 else alpha.astype(np.float32)
        cv2.remap(src, fixed, frac, cv2.INTER_LINEAR, dst=self._out, borderMode=cv2.BORDER_REPLICATE)
        return self._out
