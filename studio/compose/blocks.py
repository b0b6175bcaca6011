"""Blending by blocks: out = alpha * frame + (1 - alpha) * background, paying for the arithmetic only on the edge.

A live alpha is 0 or 1 almost everywhere; cv2.blendLinear costs the same for every pixel (float weights, two full-size
weight planes: about 60 ms at 3840x2160 on this box) whatever the alpha is. Here the background is copied, the frame
copied over it where the alpha is 1 (cv2.copyTo through a mask), and only the pixels on the edge are blended.

The alpha may come at 1/k of the frame's size (the refiner's detail cap): each alpha pixel is then a k x k block of
the frame. Blocks whose 3x3 neighbourhood is all 1 (or all 0) are the frame (or the background: bilinear upsampling
reaches no further); the others get the alpha cv2.resize(INTER_LINEAR) gives them, in uint8, so the result is what
resize + blendLinear makes (within one grey level), without a full-size float alpha or float frame.
"""

from __future__ import annotations

import cv2
import numpy as np

_KERNEL = np.ones((3, 3), np.uint8)
# Above this share of edge blocks, gathering the edge costs more than cv2.blendLinear over the whole frame (the edge
# costs ~10x a plain pixel: gather, blend, scatter), so the whole frame is blended.
MAX_EDGE_SHARE = 0.08


class BlockBlend:
    """Buffers per (frame size, k); ``blend`` writes into ``out`` (HxWx3 uint8) and returns it."""

    def __init__(self) -> None:
        self._key: tuple[int, int, int] | None = None
        self._full: np.ndarray | None = None  # the whole-frame fallback's float alpha and 1 - alpha
        self._inv: np.ndarray | None = None

    def _allocate(self, w: int, h: int, k: int) -> None:
        self._key = (w, h, k)
        shape = (h // k, w // k)
        self._a8 = np.empty(shape, np.uint8)
        self._lo = np.empty(shape, np.uint8)
        self._hi = np.empty(shape, np.uint8)
        self._solid = np.empty(shape, np.uint8)
        self._not_solid = np.empty(shape, np.uint8)
        self._edge = np.empty(shape, np.uint8)
        self._solid_full = np.empty((h, w), np.uint8) if k > 1 else self._solid
        self._a8_full = np.empty((h, w), np.uint8) if k > 1 else self._a8
        self._offsets = np.arange(k)[:, None] * w + np.arange(k)[None, :]  # flat offsets of a block's pixels

    def blend(self, frame: np.ndarray, alpha: np.ndarray, background: np.ndarray, out: np.ndarray,
              coefficients: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
        """``alpha``: float32 in [0, 1], the frame's size divided by a whole k (1 included). ``coefficients``: the
        refiner's guided-filter (a, b) that made ``alpha`` (MaskRefiner.coefficients): the edge's pixels then get
        clip(a * grey + b) at full size, the detail a 1/k alpha lacks."""
        h, w = frame.shape[:2]
        ch, cw = alpha.shape
        k = w // cw
        if (cw * k, ch * k) != (w, h):
            raise ValueError(f"alpha {cw}x{ch} is not the frame {w}x{h} divided by a whole number")
        if self._key != (w, h, k):
            self._allocate(w, h, k)
        a8, lo, hi = self._a8, self._lo, self._hi
        cv2.convertScaleAbs(alpha, dst=a8, alpha=255.0)  # rounds and saturates
        if k > 1:  # a block's interpolated alpha depends on its neighbours
            cv2.erode(a8, _KERNEL, dst=lo, borderType=cv2.BORDER_REPLICATE)
            cv2.dilate(a8, _KERNEL, dst=hi, borderType=cv2.BORDER_REPLICATE)
        else:
            lo = hi = a8
        cv2.compare(lo, 255, cv2.CMP_EQ, dst=self._solid)
        # the edge: some of the neighbourhood above 0 (hi > 0) and some below 1 (lo < 255), in reused buffers
        cv2.compare(hi, 0, cv2.CMP_GT, dst=self._edge)
        cv2.bitwise_and(self._edge, cv2.bitwise_not(self._solid, dst=self._not_solid), dst=self._edge)
        if cv2.countNonZero(self._edge) > MAX_EDGE_SHARE * self._edge.size:
            return self._blend_all(frame, alpha, background, out, coefficients)
        if k > 1:
            # the alpha at full size as cv2.resize makes it (one uint8 pass in C); solid where it is 255
            cv2.resize(a8, (w, h), dst=self._a8_full, interpolation=cv2.INTER_LINEAR)
            cv2.compare(self._a8_full, 255, cv2.CMP_EQ, dst=self._solid_full)
        np.copyto(out, background)
        cv2.copyTo(frame, self._solid_full, out)
        points = cv2.findNonZero(self._edge)  # x, y pairs, row by row; several times faster than np.nonzero
        if points is not None:
            points = points.reshape(-1, 2).astype(np.intp)
            self._blend_edge(frame, alpha, out, points[:, 1], points[:, 0], k, coefficients)
        return out

    def _blend_all(self, frame: np.ndarray, alpha: np.ndarray, background: np.ndarray, out: np.ndarray,
                   coefficients: tuple[np.ndarray, np.ndarray] | None = None) -> np.ndarray:
        """A wide edge (a mask far from the frame's subject, a soft matte): cv2.blendLinear over the whole frame, with
        the alpha at full size (from the coefficients: the guided filter's full-size step, as without a cap)."""
        h, w = frame.shape[:2]
        if self._full is None or self._full.shape != (h, w):
            self._full, self._inv = np.empty((h, w), np.float32), np.empty((h, w), np.float32)
        if alpha.shape == (h, w):
            full = alpha
        elif coefficients is None:
            full = cv2.resize(alpha, (w, h), dst=self._full, interpolation=cv2.INTER_LINEAR)
        else:
            a, b = coefficients
            full = cv2.resize(a, (w, h), dst=self._full, interpolation=cv2.INTER_LINEAR)
            cv2.multiply(full, cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), dst=full, dtype=cv2.CV_32F)
            cv2.add(full, cv2.resize(b, (w, h), dst=self._inv, interpolation=cv2.INTER_LINEAR), dst=full)
            np.clip(full, 0.0, 1.0, out=full)
        np.subtract(np.float32(1.0), full, out=self._inv)
        return cv2.blendLinear(frame, background, full, self._inv, dst=out)

    def _blend_edge(self, frame: np.ndarray, alpha: np.ndarray, out: np.ndarray, rows: np.ndarray, cols: np.ndarray,
                    k: int, coefficients: tuple[np.ndarray, np.ndarray] | None = None) -> None:
        # The edge's pixels gathered into a compact strip by flat index (np.take/np.put, a pixel as one 3-byte item:
        # numpy's fancy indexing of an (h, w, 3) array is 3x slower), blended there by cv2.blendLinear, put back.
        w = frame.shape[1]
        idx = ((rows * (k * w) + cols * k)[:, None, None] + self._offsets).reshape(-1)  # the blocks' pixels
        fg = np.take(_pixels(np.ascontiguousarray(frame)), idx).view(np.uint8).reshape(-1, 1, 3)
        if k == 1:
            a = alpha[rows, cols]
        elif coefficients is not None:
            a = _guided_at(coefficients, idx, frame.shape[:2], cv2.cvtColor(fg, cv2.COLOR_BGR2GRAY))
        else:
            a = np.take(self._a8_full.reshape(-1), idx).astype(np.float32)
            np.multiply(a, np.float32(1.0 / 255.0), out=a)
        a = a.reshape(-1, 1)
        flat_out = _pixels(out)
        bg = np.take(flat_out, idx).view(np.uint8).reshape(-1, 1, 3)
        mixed = cv2.blendLinear(fg, bg, a, np.subtract(np.float32(1.0), a))
        np.put(flat_out, idx, _pixels(mixed))


def _guided_at(coefficients: tuple[np.ndarray, np.ndarray], idx: np.ndarray, shape: tuple[int, int],
               grey: np.ndarray) -> np.ndarray:
    """clip(a * grey + b) at the frame pixels ``idx`` (flat), with a and b scaled up bilinearly from their small grid
    as cv2.resize does (half-pixel centres, clamped at the borders): the guided filter's full-size step, edge only."""
    a_small, b_small = coefficients
    h, w = shape
    gh, gw = a_small.shape
    ys, xs = np.divmod(idx, w)
    sy = np.clip((ys + 0.5) * (gh / h) - 0.5, 0, gh - 1).astype(np.float32)
    sx = np.clip((xs + 0.5) * (gw / w) - 0.5, 0, gw - 1).astype(np.float32)
    y0, x0 = sy.astype(np.intp), sx.astype(np.intp)
    y1, x1 = np.minimum(y0 + 1, gh - 1), np.minimum(x0 + 1, gw - 1)
    fy, fx = sy - y0.astype(np.float32), sx - x0.astype(np.float32)  # float32 (an intp operand would widen them)
    corners = ((y0 * gw + x0, (1 - fy) * (1 - fx)), (y0 * gw + x1, (1 - fy) * fx),
               (y1 * gw + x0, fy * (1 - fx)), (y1 * gw + x1, fy * fx))
    a = sum(np.take(a_small.reshape(-1), i) * wt for i, wt in corners)
    b = sum(np.take(b_small.reshape(-1), i) * wt for i, wt in corners)
    q = a * grey.reshape(idx.shape).astype(np.float32) + b
    return np.clip(q, 0.0, 1.0, out=q)


def _pixels(image: np.ndarray) -> np.ndarray:
    """A contiguous (..., 3) uint8 array as a flat array of 3-byte items (a view)."""
    return image.reshape(-1, 3).view("V3").reshape(-1)
