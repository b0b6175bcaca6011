"""Pre- and post-processing between a BGR uint8 frame and a model tensor, into buffers allocated once per size.

Copies dominate on edge boxes, so the per-frame path writes into buffers kept across calls: resize (``dst=``),
colour swap (``dst=``), normalise (``out=``) and layout change (``copyto``) all reuse memory until the frame or model
input size changes.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from studio.core.errors import StudioError
from studio.models.spec import ModelSpec


class Preprocessor:
    """Turns a BGR uint8 frame into the model's input tensor (1x3xHxW or 1xHxWx3 float32)."""

    def __init__(self, spec: ModelSpec) -> None:
        self.spec = spec
        std = np.asarray(spec.std, dtype=np.float32)
        # (x * scale - mean) / std == x * (scale / std) - mean / std: one multiply and one subtract per pixel.
        self._gain = (np.float32(spec.scale) / std).astype(np.float32)
        self._offset = (np.asarray(spec.mean, dtype=np.float32) / std).astype(np.float32)
        self._size: tuple[int, int] | None = None
        self._resized: np.ndarray | None = None
        self._swapped: np.ndarray | None = None
        self._hwc: np.ndarray | None = None
        self._tensor: np.ndarray | None = None
        self._halves: dict[tuple[int, ...], np.ndarray] = {}  # the frame halved on the way to the input size

    def _allocate(self, w: int, h: int) -> None:
        self._size = (w, h)
        self._resized = np.empty((h, w, 3), np.uint8)
        self._swapped = np.empty((h, w, 3), np.uint8)
        self._hwc = np.empty((h, w, 3), np.float32)
        shape = (1, 3, h, w) if self.spec.layout == "NCHW" else (1, h, w, 3)
        self._tensor = np.empty(shape, np.float32)

    def _halved(self, image: np.ndarray, w: int, h: int) -> np.ndarray:
        """``image`` halved (INTER_AREA by exactly 2) while both halves stay at least w x h; buffers kept per size."""
        while image.shape[1] // 2 >= w and image.shape[0] // 2 >= h:
            shape = (image.shape[0] // 2, image.shape[1] // 2, image.shape[2])
            buf = self._halves.get(shape)
            if buf is None:
                buf = self._halves[shape] = np.empty(shape, np.uint8)
            image = cv2.resize(image, (shape[1], shape[0]), dst=buf, interpolation=cv2.INTER_AREA)
        return image

    def __call__(self, image_bgr: np.ndarray, size: tuple[int, int]) -> np.ndarray:
        """Return the input tensor for ``image_bgr`` at ``size`` = (width, height). The array is reused next call."""
        w, h = size
        if self._size != (w, h):
            self._allocate(w, h)
        ih, iw = image_bgr.shape[:2]
        if (iw, ih) == (w, h):
            np.copyto(self._resized, image_bgr)
        else:
            shrinking = iw > w and ih > h
            if shrinking and self.spec.resize == "area":
                # INTER_AREA at a fractional ratio reads every pixel slowly (4K to 256x256: 35 ms on a busy 2-core
                # box); halving is its fast path, so the frame is halved while it stays at least the input's size
                # and only the rest (< 2x) is done at a fractional ratio (2.6 ms). Both average boxes of pixels.
                cv2.resize(self._halved(image_bgr, w, h), (w, h), dst=self._resized, interpolation=cv2.INTER_AREA)
            else:
                cv2.resize(image_bgr, (w, h), dst=self._resized, interpolation=cv2.INTER_LINEAR)
        src = self._resized
        if self.spec.color == "RGB":
            cv2.cvtColor(self._resized, cv2.COLOR_BGR2RGB, dst=self._swapped)
            src = self._swapped
        np.multiply(src, self._gain, out=self._hwc, casting="unsafe")
        np.subtract(self._hwc, self._offset, out=self._hwc)
        if self.spec.layout == "NCHW":
            np.copyto(self._tensor[0], self._hwc.transpose(2, 0, 1))
        else:
            np.copyto(self._tensor[0], self._hwc)
        return self._tensor


# How far outside [0, 1] an output that is already a probability (activation "none") may stray before it is a broken
# output rather than rounding: a converted graph's sigmoid can overshoot by float error, never by 5 %.
PROBABILITY_SLACK = 0.05


class InvalidModelOutput(StudioError, ValueError):
    """The model ran but its output is not a mask (NaN or Inf, out of range, unreadable shape). Not a model-file
    problem: the next inference may be fine, so callers drop the mask rather than give up on the model."""


def check_output(a: np.ndarray, activation: str) -> None:
    """Raise InvalidModelOutput unless ``a`` is finite and, for an output that is already a probability, in [0, 1].

    Checked before the activation and the clip: a clip would turn Inf into a plausible-looking 0 or 1, and NaN survives
    every later step (it blacks out the picture and stays in the temporal smoothing). min/max allocate nothing, and NaN
    propagates through both."""
    lo, hi = float(a.min()), float(a.max())
    if not (math.isfinite(lo) and math.isfinite(hi)):
        bad = "NaN" if math.isnan(lo) or math.isnan(hi) else "Inf"
        raise InvalidModelOutput(f"the model output contains {bad}",
                                 hint="a broken runtime, precision or driver; the mask was dropped")
    if activation == "none" and (lo < -PROBABILITY_SLACK or hi > 1.0 + PROBABILITY_SLACK):
        raise InvalidModelOutput(f"the model output is out of range [{lo:.3g}, {hi:.3g}] (a probability, 0..1, "
                                 "was expected)", hint="check the model's activation in models.toml")


def to_alpha(output: np.ndarray, activation: str) -> np.ndarray:
    """A model output (any of 1x1xHxW, 1xHxWx1, HxW, ...) as an HxW float32 foreground probability in [0, 1].

    InvalidModelOutput when the output is not a mask (see ``check_output``)."""
    a = np.asarray(output, dtype=np.float32)
    a = np.squeeze(a)
    if a.ndim == 3:  # several channels: the first is foreground (CHW or HWC, whichever axis is the short one)
        a = a[0] if a.shape[0] <= a.shape[-1] else a[..., 0]
    if a.ndim != 2:
        raise InvalidModelOutput(f"cannot read a mask from a model output of shape {np.shape(output)}")
    if a.size == 0:
        raise InvalidModelOutput(f"the model output is empty (shape {np.shape(output)})")
    check_output(a, activation)
    # Always produce a new array: the output may be a runtime-owned buffer that the next inference overwrites.
    if activation == "sigmoid":
        a = 1.0 / (1.0 + np.exp(-a))
    elif activation == "minmax":
        lo, hi = float(a.min()), float(a.max())
        a = (a - lo) / (hi - lo) if hi > lo else np.zeros_like(a)
    else:
        a = a.copy()
    np.clip(a, 0.0, 1.0, out=a)
    return np.ascontiguousarray(a, dtype=np.float32)
