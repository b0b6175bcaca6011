"""Blending by tiles: out = alpha * frame + (1 - alpha) * background, with the arithmetic paid only where the
subject's edge is, and without ever making the full-size alpha.

A live alpha is 0 or 1 almost everywhere, and cv2.blendLinear costs the same for every pixel (float weights, two
full-size weight planes: about 30 ms at 3840x2160 on this box). Here the frame is cut into T x T tiles (T divides both
sides), and each tile gets a range its alpha will have at full size, from the small "field" the alpha comes from:

- the guided filter's coefficients (a, b) at the working size (MaskRefiner.coefficients): alpha = clip(A * grey + B)
  with A, B scaled up bilinearly. Scaling up takes a weighted mean of a few grid points with the same weights for a
  and b, so A * g + B lies between the least and the largest of a_i * g + b_i, which for g in 0..255 lie between
  min(b_i, 255 a_i + b_i) and max(...) of the grid points the tile reads;
- or an alpha at 1/k of the frame (or at its size), scaled up bilinearly: between its least and largest grid points.

The output buffer already holds the background. Tiles whose alpha is surely 1 get the frame, copied by runs along a
row of tiles (slices: numpy's fancy indexing of tiles costs 3x a plain copy); tiles whose alpha is surely 0 keep the
background; the rest, the edge (8-14 % of the tiles of a person moving in a room, live), are gathered, get the exact
full-size alpha (the bilinear scaling as two small matrices per tile: rows @ grid patch @ columns, batched) and are
blended there as one strip. The result is what cv2.resize + cv2.blendLinear make, within one grey level.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# An alpha this close to 1 (or 0) blends to the frame (or the background) within one grey level. Against half a grey
# level, 12 % fewer edge tiles (1080p and 4K, a moving person): the bounds are loosest where a is small but not 0.
TOLERANCE = 1.0 / 255
# Tile sides tried in this order: the first that divides the frame's width and height is used. Larger tiles cost less
# to classify and gather; smaller ones blend fewer pixels that need none.
TILE_SIDES = (24, 16, 20, 30, 32, 12, 8)
# Above this share of edge tiles (a soft matte everywhere, a mask far from the picture's subject) the stacked edge
# costs more than blending the whole frame at once, which is done instead.
MAX_EDGE_SHARE = 0.3


def tile_side(width: int, height: int) -> int | None:
    """The tile side for a frame (None: no tile fits both sides, such a frame is blended whole)."""
    return next((t for t in TILE_SIDES if width % t == 0 and height % t == 0), None)


@dataclass(frozen=True)
class _Axis:
    """Bilinear scaling along one axis (as cv2.resize does: half-pixel centres, clamped at the borders) from ``n``
    grid points to tiles of T full pixels: tile t reads grid points start[t] .. start[t] + span - 1, with the
    weights (T x span) weights[t]."""

    start: np.ndarray
    span: int
    weights: np.ndarray

    @classmethod
    def make(cls, n: int, full: int, t: int) -> "_Axis":
        count = full // t
        s = np.clip((np.arange(full) + 0.5) * (n / full) - 0.5, 0, n - 1)
        i0 = np.floor(s).astype(np.intp)
        i1 = np.minimum(i0 + 1, n - 1)
        f = (s - i0).astype(np.float32)
        i0, i1, f = i0.reshape(count, t), i1.reshape(count, t), f.reshape(count, t)
        start = i0[:, 0].copy()
        span = int((i1[:, -1] - start).max()) + 1
        weights = np.zeros((count, t, span), np.float32)
        tiles, rows = np.arange(count)[:, None], np.arange(t)[None, :]
        np.add.at(weights, (tiles, rows, i0 - start[:, None]), 1.0 - f)
        np.add.at(weights, (tiles, rows, i1 - start[:, None]), f)
        return cls(start, span, weights)


@dataclass(frozen=True)
class _Plan:
    """How a field cuts frames: the runs of solid tiles (y0, x0, x1 in pixels), the number of edge tiles (their rows
    of pixels and scaled-up planes are in the TileBlend's stack buffers), and which tiles are solid and edge."""

    runs: list[tuple[int, int, int]]
    edge_tiles: int
    solid: np.ndarray  # (tile rows, tile columns) bool
    edge: np.ndarray


class TileBlend:
    """Tables per (frame size, field size); ``blend`` writes into ``out`` (which holds the background) and returns
    the number of edge tiles it blended (-1: the whole frame was blended)."""

    def __init__(self) -> None:
        self._key: tuple | None = None
        self._full: np.ndarray | None = None
        self._plan: _Plan | None = None
        self._plan_key = self._plan_guided = None

    def _prepare(self, w: int, h: int, gw: int, gh: int, planes: int) -> None:
        self._key = (w, h, gw, gh, planes)
        self._plan_key = None  # a plan is for one frame and field size
        self.tile = t = tile_side(w, h)
        self._rows, self._cols = _Axis.make(gh, h, t), _Axis.make(gw, w, t)
        self._kernel = np.ones((self._rows.span, self._cols.span), np.uint8)
        self._grid = np.empty((4, gh, gw), np.float32)  # the bounds' scratch: top, least, largest, spread
        self._corner = self._rows.start[:, None] * gw + self._cols.start[None, :]  # each tile's first grid point
        self._range = np.empty((2, h // t, w // t), np.float32)  # the tiles' least and largest alpha
        # the planes padded on the far sides, so that every tile's window of span points lies inside them
        self._padded = np.empty((planes, gh + self._rows.span, gw + self._cols.span), np.float32)
        self._capacity = 0
        padded_w = self._padded.shape[2]
        # a tile's window of grid points as flat offsets into a padded plane; the column weights transposed
        self._window = np.arange(self._rows.span)[:, None] * padded_w + np.arange(self._cols.span)[None, :]
        self._col_weights_t = np.ascontiguousarray(self._cols.weights.transpose(0, 2, 1))

    def _stack(self, n: int, planes: int) -> None:
        """Buffers for n edge tiles (kept and grown: a frame allocates nothing once the edge's size has been seen)."""
        if n <= self._capacity:
            return
        self._capacity = cap = max(n, int(self._capacity * 1.5), 64)
        t, rows, cols = self.tile, self._rows.span, self._cols.span
        self._fg, self._bg, self._mixed = (np.empty((cap, t, t * 3), np.uint8) for _ in range(3))
        self._grey = np.empty((cap, t, t), np.uint8)
        self._rows_at = np.empty((cap, t), np.intp)  # the tiles' rows of pixels, as items (see _row_items)
        self._points_at = np.empty((cap, rows, cols), np.intp)  # the grid points each tile reads (flat, padded)
        self._row_weights = np.empty((cap, t, rows), np.float32)
        self._col_weights = np.empty((cap, cols, t), np.float32)
        self._patch = np.empty((planes, cap, rows, cols), np.float32)
        self._half = np.empty((planes, cap, t, cols), np.float32)
        self._scaled = np.empty((planes, cap, t, t), np.float32)
        self._inv = np.empty((cap, t, t), np.float32)
        self._weight = np.empty((cap, t, t), np.float32)

    @staticmethod
    def fits(frame_shape: tuple[int, ...], field_shape: tuple[int, ...]) -> bool:
        """Whether a frame of this shape can be blended by tiles from a field of that shape (not larger)."""
        h, w = frame_shape[:2]
        return tile_side(w, h) is not None and field_shape[0] <= h and field_shape[1] <= w

    def blend(self, frame: np.ndarray, out: np.ndarray, *, alpha: np.ndarray | None = None,
              coefficients: tuple[np.ndarray, np.ndarray] | None = None, field_key=None) -> int:
        """``out`` (HxWx3 uint8, holding the background) becomes frame over background. The alpha comes either as
        ``coefficients`` (a, b): clip(a * grey + b) with grey the frame's grey in 0..255, or as ``alpha`` (float32
        in [0, 1], at the frame's size or smaller); either is scaled up bilinearly. Returns ``apply``'s count; see
        ``plan`` for ``field_key``."""
        plan = self.plan(frame, alpha=alpha, coefficients=coefficients, field_key=field_key)
        return self.apply(plan, frame, out, alpha=alpha, coefficients=coefficients)

    def plan(self, frame: np.ndarray, *, alpha: np.ndarray | None = None,
             coefficients: tuple[np.ndarray, np.ndarray] | None = None, field_key=None) -> "_Plan | None":
        """Which tiles of this frame are solid, edge or clear (None: the edge is too wide, blend it whole), with the
        edge's alpha or coefficients scaled up to full size in this blender's buffers (valid until the next plan).

        ``field_key``: anything that is equal for equal fields (the refiner's generation). A frame whose field has
        the key of the last one keeps its plan: split frames cut several frames with one refine, and only the
        frame's own part (``apply``) is redone."""
        h, w = frame.shape[:2]
        planes = coefficients if coefficients is not None else (alpha,)
        gh, gw = planes[0].shape
        if self._key != (w, h, gw, gh, len(planes)):
            self._prepare(w, h, gw, gh, len(planes))
        guided = coefficients is not None
        if field_key is None or field_key != self._plan_key or self._plan_guided != guided:
            self._plan = self._classify(planes, guided)
            self._plan_key, self._plan_guided = field_key, guided
        return self._plan

    def apply(self, plan: "_Plan | None", frame: np.ndarray, out: np.ndarray, *, alpha: np.ndarray | None = None,
              coefficients: tuple[np.ndarray, np.ndarray] | None = None) -> int:
        """Cut ``frame`` over ``out`` (holding the background at least outside the plan's solid tiles) by the last
        ``plan``; the number of edge tiles blended (-1: the whole frame was blended)."""
        frame = np.ascontiguousarray(frame)
        if plan is None:
            self.blend_whole(frame, out, alpha=alpha, coefficients=coefficients)
            return -1
        t = self.tile
        for y0, x0, x1 in plan.runs:
            out[y0:y0 + t, x0:x1] = frame[y0:y0 + t, x0:x1]
        if plan.edge_tiles:
            self._mix_edge(frame, out, plan.edge_tiles, coefficients is not None)
        return plan.edge_tiles

    def _classify(self, planes: tuple[np.ndarray, ...], guided: bool) -> "_Plan | None":
        """The plan for a field: its solid runs and its edge tiles, with their alpha (or coefficients) scaled up to
        full size in the stack's buffers; None when the edge covers too much of the frame to pay (blend it whole)."""
        top, least, largest, _ = self._grid
        if guided:
            a, b = planes
            cv2.scaleAdd(a, 255.0, b, dst=top)  # the alpha at grey 255; at grey 0 it is b
            lo_grid, hi_grid = cv2.min(b, top, dst=least), cv2.max(b, top, dst=largest)
        else:
            lo_grid = hi_grid = planes[0]
        lo, hi = self._tile_range(lo_grid, cv2.erode, 0), self._tile_range(hi_grid, cv2.dilate, 1)
        solid = lo >= 1.0 - TOLERANCE
        edge = ~solid & (hi > TOLERANCE)
        if np.count_nonzero(edge) > MAX_EDGE_SHARE * edge.size:
            return None
        iy, ix = np.nonzero(edge)
        if len(iy):
            self._scale_edge(planes, iy, ix)
        return _Plan(tile_runs(solid, self.tile), len(iy), solid, edge)

    def _tile_range(self, grid: np.ndarray, op, slot: int) -> np.ndarray:
        """The least (cv2.erode) or largest (cv2.dilate) grid value each tile reads: (tile rows, tile columns)."""
        spread = op(grid, self._kernel, dst=self._grid[3], anchor=(0, 0), borderType=cv2.BORDER_REPLICATE)
        return np.take(spread.reshape(-1), self._corner, out=self._range[slot])

    def _scale_edge(self, planes: tuple[np.ndarray, ...], iy: np.ndarray, ix: np.ndarray) -> None:
        """The edge tiles' rows of pixels (as items, see _row_items) and their planes scaled up to full size
        (self._scaled[:, :n]), for the frames the plan cuts."""
        t, n = self.tile, len(iy)
        self._stack(n, len(planes))
        nx = self._key[0] // t
        np.add((iy * (t * nx) + ix)[:, None], np.arange(t) * nx, out=self._rows_at[:n])
        rows, cols = self._rows, self._cols
        padded_w = self._padded.shape[2]
        points = np.add((rows.start[iy] * padded_w + cols.start[ix])[:, None, None], self._window,
                        out=self._points_at[:n])
        row_weights = np.take(rows.weights, iy, axis=0, out=self._row_weights[:n])
        col_weights = np.take(self._col_weights_t, ix, axis=0, out=self._col_weights[:n])
        for j, plane in enumerate(planes):
            padded = cv2.copyMakeBorder(plane, 0, rows.span, 0, cols.span, cv2.BORDER_REPLICATE, dst=self._padded[j])
            patch = np.take(padded.reshape(-1), points, out=self._patch[j, :n])  # (n, span rows, span cols)
            half = np.matmul(row_weights, patch, out=self._half[j, :n])
            np.matmul(half, col_weights, out=self._scaled[j, :n])

    def _mix_edge(self, frame: np.ndarray, out: np.ndarray, n: int, guided: bool) -> None:
        """Blend the plan's n edge tiles of this frame: gathered, alpha made, blended as one strip, put back."""
        t = self.tile
        # A tile's row of pixels as one item (T * 3 bytes): the tiles gather and scatter by flat index, np.take and
        # np.put into kept buffers (fancy indexing of an (H, W/T, T * 3) view would allocate every frame).
        idx = self._rows_at[:n]
        frame_rows, out_rows = _row_items(frame, t), _row_items(out, t)
        fg, bg, mixed = self._fg[:n], self._bg[:n], self._mixed[:n]
        np.take(frame_rows, idx, out=fg.view(frame_rows.dtype).reshape(n, t))
        np.take(out_rows, idx, out=bg.view(out_rows.dtype).reshape(n, t))
        # a tile as one row of T * T pixels from here on: OpenCV splits work by rows, and rows of T pixels cost 1.5x
        weight = self._weight[:n].reshape(n, t * t)  # the plan's scaled planes stay as they are, for the next frame
        pixels = lambda tiles: tiles.reshape(n, t * t, 3)  # noqa: E731
        if guided:
            grey = cv2.cvtColor(pixels(fg), cv2.COLOR_BGR2GRAY, dst=self._grey[:n].reshape(n, t * t))
            np.multiply(self._scaled[0, :n].reshape(n, t * t), grey, out=weight)
            np.add(weight, self._scaled[1, :n].reshape(n, t * t), out=weight)
            np.clip(weight, 0.0, 1.0, out=weight)
        else:
            np.clip(self._scaled[0, :n].reshape(n, t * t), 0.0, 1.0, out=weight)
        inv = np.subtract(np.float32(1.0), weight, out=self._inv[:n].reshape(n, t * t))
        cv2.blendLinear(pixels(fg), pixels(bg), weight, inv, dst=pixels(mixed))
        np.put(out_rows, idx, mixed.view(out_rows.dtype).reshape(n, t))

    def blend_whole(self, frame: np.ndarray, out: np.ndarray, *, alpha: np.ndarray | None = None,
                    coefficients: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        """cv2.blendLinear over the whole frame, with the alpha made at full size (in place over the background)."""
        full = self.full_alpha(frame, alpha=alpha, coefficients=coefficients)
        inv = np.subtract(np.float32(1.0), full, out=self._full_buffers(*frame.shape[:2])[1])
        cv2.blendLinear(frame, out, full, inv, dst=out)

    def full_alpha(self, frame: np.ndarray, *, alpha: np.ndarray | None = None,
                   coefficients: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
        """full_alpha() in this blender's buffer, which is made on first use (the tiles never need it: 66 MB at 4K);
        an alpha at the frame's size is returned as it is."""
        h, w = frame.shape[:2]
        buffers = None if coefficients is None and alpha.shape == (h, w) else self._full_buffers(h, w)
        return full_alpha(frame, alpha=alpha, coefficients=coefficients, buffers=buffers)

    def _full_buffers(self, h: int, w: int) -> np.ndarray:
        if self._full is None or self._full.shape[1:] != (h, w):
            self._full = np.empty((2, h, w), np.float32)
        return self._full


def full_alpha(frame: np.ndarray, *, alpha: np.ndarray | None = None,
               coefficients: tuple[np.ndarray, np.ndarray] | None = None,
               buffers: np.ndarray | None = None) -> np.ndarray:
    """The alpha at the frame's size, float32 in [0, 1]: ``alpha`` scaled up bilinearly, or clip(A * grey + B) with
    the coefficients scaled up so (the guided filter's full-size step). ``buffers``: (2, H, W) float32 to reuse."""
    h, w = frame.shape[:2]
    if coefficients is None and alpha.shape == (h, w):
        return alpha
    if buffers is None:
        buffers = np.empty((2, h, w), np.float32)
    full, scratch = buffers[0], buffers[1]
    if coefficients is None:
        return cv2.resize(alpha, (w, h), dst=full, interpolation=cv2.INTER_LINEAR)
    a, b = coefficients
    cv2.resize(a, (w, h), dst=full, interpolation=cv2.INTER_LINEAR)
    cv2.multiply(full, cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), dst=full, dtype=cv2.CV_32F)
    cv2.add(full, cv2.resize(b, (w, h), dst=scratch, interpolation=cv2.INTER_LINEAR), dst=full)
    return np.clip(full, 0.0, 1.0, out=full)


def _row_items(image: np.ndarray, t: int) -> np.ndarray:
    """A contiguous HxWx3 uint8 picture as a flat array of items of T pixels (a view): item y * (W / T) + x is the
    pixels x * T .. x * T + T - 1 of row y."""
    h, w = image.shape[:2]
    return image.reshape(h, w // t, t * 3).view(f"V{t * 3}").reshape(-1)


def tile_runs(tiles: np.ndarray, t: int) -> list[tuple[int, int, int]]:
    """The runs of True tiles along each row of tiles, as (y0, x0, x1) in pixels: one slice per run (numpy's fancy
    indexing of tiles costs 3x a plain copy)."""
    edges = np.diff(np.pad(tiles.astype(np.int8), ((0, 0), (1, 1))), axis=1)
    starts_y, starts_x = np.nonzero(edges == 1)
    _, ends_x = np.nonzero(edges == -1)  # row by row, in the same order as the starts
    return list(zip((starts_y * t).tolist(), (starts_x * t).tolist(), (ends_x * t).tolist()))
