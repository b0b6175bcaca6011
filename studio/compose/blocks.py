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


class BlockBlend:
    """Buffers per (frame size, k); ``blend`` writes into ``out`` (HxWx3 uint8) and returns it."""

    def __init__(self) -> None:
        self._key: tuple[int, int, int] | None = None

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

    def blend(self, frame: np.ndarray, alpha: np.ndarray, background: np.ndarray, out: np.ndarray) -> np.ndarray:
        """``alpha``: float32 in [0, 1], the frame's size divided by a whole k (1 included)."""
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
        np.copyto(out, background)
        if k > 1:
            cv2.resize(self._solid, (w, h), dst=self._solid_full, interpolation=cv2.INTER_NEAREST)
        cv2.copyTo(frame, self._solid_full, out)
        # the edge: some of the neighbourhood above 0 (hi > 0) and some below 1 (lo < 255), in reused buffers
        cv2.compare(hi, 0, cv2.CMP_GT, dst=self._edge)
        cv2.bitwise_and(self._edge, cv2.bitwise_not(self._solid, dst=self._not_solid), dst=self._edge)
        points = cv2.findNonZero(self._edge)  # x, y pairs, row by row; several times faster than np.nonzero
        if points is not None:
            points = points.reshape(-1, 2).astype(np.intp)
            cols, rows = points[:, 0], points[:, 1]
            self._blend_edge(frame, alpha, out, rows, cols, k)
        return out

    def _blend_edge(self, frame: np.ndarray, alpha: np.ndarray, out: np.ndarray, rows: np.ndarray, cols: np.ndarray,
                    k: int) -> None:
        # Gathers and scatters by flat index with np.take/np.put, pixels seen as 3-byte items: numpy's fancy
        # indexing of (h, w, 3) arrays (or of a (ch, k, cw, k, 3) view) is 3x slower.
        w = frame.shape[1]
        idx = (rows * (k * w) + cols * k)[:, None, None] + self._offsets  # (n, k, k): the blocks' pixels
        if k == 1:
            a = alpha[rows, cols][:, None, None, None]
        else:
            # the blocks' alpha as cv2.resize makes it (one full-size uint8 pass, in C; per-block bilinear weights
            # in numpy cost 5-25 ms on a 10 % edge)
            cv2.resize(self._a8, (w, frame.shape[0]), dst=self._a8_full, interpolation=cv2.INTER_LINEAR)
            a = np.take(self._a8_full.reshape(-1), idx)[..., None].astype(np.float32)
            np.multiply(a, np.float32(1.0 / 255.0), out=a)
        fg = np.take(_pixels(np.ascontiguousarray(frame)), idx).view(np.uint8).reshape(idx.shape + (3,))
        flat_out = _pixels(out)
        bg = np.take(flat_out, idx).view(np.uint8).reshape(idx.shape + (3,))
        np.put(flat_out, idx, _pixels(_mix(fg, bg, a)))


def _pixels(image: np.ndarray) -> np.ndarray:
    """A contiguous (..., 3) uint8 array as a flat array of 3-byte items (a view)."""
    return image.reshape(-1, 3).view("V3").reshape(-1)


def _mix(fg: np.ndarray, bg: np.ndarray, a: np.ndarray) -> np.ndarray:
    """uint8 bg + (fg - bg) * a, rounded, in place on one float copy (the edge's pixels only: transient)."""
    mixed = fg.astype(np.float32)
    b = bg.astype(np.float32)
    np.subtract(mixed, b, out=mixed)
    np.multiply(mixed, a, out=mixed)
    np.add(mixed, b, out=mixed)
    np.add(mixed, np.float32(0.5), out=mixed)
    return mixed.astype(np.uint8)
