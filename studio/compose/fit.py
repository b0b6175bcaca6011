"""Cover-fit: scale a picture to fill a frame, cropping the overflow equally on both sides (like CSS object-fit: cover)."""

from __future__ import annotations

import cv2
import numpy as np


def cover_rect(src_w: int, src_h: int, dst_w: int, dst_h: int) -> tuple[int, int, int, int]:
    """The (x, y, w, h) region of the source that, scaled, exactly covers the destination."""
    scale = max(dst_w / src_w, dst_h / src_h)
    w = min(src_w, max(1, round(dst_w / scale)))
    h = min(src_h, max(1, round(dst_h / scale)))
    return (src_w - w) // 2, (src_h - h) // 2, w, h


def cover_fit(image: np.ndarray, size: tuple[int, int], dst: np.ndarray | None = None) -> np.ndarray:
    """``image`` scaled and centre-cropped to ``size`` = (width, height), into ``dst`` when given (one resize,
    no intermediate copy: the crop is a view)."""
    dw, dh = size
    sh, sw = image.shape[:2]
    x, y, w, h = cover_rect(sw, sh, dw, dh)
    crop = image[y:y + h, x:x + w]
    interp = cv2.INTER_AREA if w > dw and h > dh else cv2.INTER_LINEAR
    if dst is None:
        return cv2.resize(crop, (dw, dh), interpolation=interp)
    if (w, h) == (dw, dh):
        np.copyto(dst, crop)
        return dst
    return cv2.resize(crop, (dw, dh), dst=dst, interpolation=interp)
