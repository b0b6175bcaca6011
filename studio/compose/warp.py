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

    def __init__(self, history: int = HISTORY, *, finest_scale: int = FINEST_SCALE) -> None:
        self.history = history
        self.finest_scale = finest_scale
        self._greys: dict[int, np.ndarray] = {}
        self._dis = None  # made on first use: the DIS object holds buffers sized to the image
        self._flow: np.ndarray | None = None
        self._mask_flow: np.ndarray | None = None
        self._grid: tuple[np.ndarray, np.ndarray] | None = None
        self._maps: tuple[np.ndarray, np.ndarray] | None = None
        self._out: np.ndarray | None = None
        self.last_motion_px = 0.0  # mean flow length of the last warp, small-grey pixels

    def reset(self) -> None:
        """Forget every remembered frame (source change, size change)."""
        self._greys.clear()

    def remember(self, index: int, grey: np.ndarray) -> None:
        """Keep a copy of frame ``index``'s small grey (the gate's buffer is overwritten by the next frame)."""
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
        if from_index == to_index:
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
        if self._grid is None or self._grid[0].shape != (mh, mw):
            xs, ys = np.meshgrid(np.arange(mw, dtype=np.float32), np.arange(mh, dtype=np.float32))
            self._grid = (xs, ys)
            self._maps = (np.empty((mh, mw), np.float32), np.empty((mh, mw), np.float32))
            self._mask_flow = np.empty((mh, mw, 2), np.float32)
            self._out = np.empty((mh, mw), np.float32)
        cv2.resize(flow, (mw, mh), dst=self._mask_flow, interpolation=cv2.INTER_LINEAR)
        map_x, map_y = self._maps
        # Flow is in small-grey pixels: scale each component to mask pixels, then add the identity grid.
        np.multiply(self._mask_flow[..., 0], np.float32(mw / sw), out=map_x)
        np.add(map_x, self._grid[0], out=map_x)
        np.multiply(self._mask_flow[..., 1], np.float32(mh / sh), out=map_y)
        np.add(map_y, self._grid[1], out=map_y)
        src = alpha if alpha.dtype == np.float32 else alpha.astype(np.float32)
        cv2.remap(src, map_x, map_y, cv2.INTER_LINEAR, dst=self._out, borderMode=cv2.BORDER_REPLICATE)
        return self._out
