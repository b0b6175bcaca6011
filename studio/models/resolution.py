"""Adaptive input resolution: run the model near a target area instead of always at its largest size.

The field lesson: a 1024x1024 pass on every frame is wasted on a 640x480 camera and too slow on a 4K one. Dynamic-shape
models keep the input when its area is within 70-130% of the target, scale down (aspect kept) when above, never
upscale, and round each side to the model's stride. Fixed-shape models always get their own input size.
"""

from __future__ import annotations

import math

from studio.models.spec import ModelSpec

KEEP_LOW = 0.70
KEEP_HIGH = 1.30


def _round_to_stride(value: float, stride: int) -> int:
    return max(stride, int(round(value / stride)) * stride)


def dynamic_input_size(width: int, height: int, target_area: int, stride: int) -> tuple[int, int]:
    if width <= 0 or height <= 0:
        raise ValueError(f"frame size must be positive, got {width}x{height}")
    area = width * height
    if area > KEEP_HIGH * target_area:
        s = math.sqrt(target_area / area)
        w, h = width * s, height * s
    else:
        w, h = float(width), float(height)  # within the band, or small: never upscale
    rw, rh = _round_to_stride(w, stride), _round_to_stride(h, stride)
    # Rounding to the nearest stride may step just past the frame; a model input larger than the frame is an upscale.
    if rw > width and width >= stride:
        rw = (width // stride) * stride
    if rh > height and height >= stride:
        rh = (height // stride) * stride
    return rw, rh


def choose_input_size(width: int, height: int, spec: ModelSpec, *, target_area: int | None = None,
                      max_area: int | None = None) -> tuple[int, int]:
    """The (width, height) the model should see for a frame of ``width`` x ``height``.

    ``target_area`` overrides the spec's; ``max_area`` is a cap (the thermal governor lowers it on a hot box).
    """
    if not spec.dynamic:
        return spec.input_size
    target = target_area or spec.target_area
    if max_area:
        target = min(target, max_area)
    return dynamic_input_size(width, height, target, spec.stride)
