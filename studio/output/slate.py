"""The still slate a virtual camera shows while the pipeline idles (nobody reads it): the last picture, dimmed, with
a line saying why. A reader that opens the camera sees it for the moment the pipeline takes to come back."""

from __future__ import annotations

import cv2
import numpy as np

SLATE_TEXT = "Studio: paused - nobody is watching"
DIM = 0.35  # the last picture stays recognisable (the same framing comes back) but reads as paused


def make_slate(last: np.ndarray, text: str = SLATE_TEXT) -> np.ndarray:
    """A new HxWx3 (or x4: the alpha is kept) picture: ``last`` dimmed, ``text`` centred near the bottom."""
    slate = cv2.convertScaleAbs(last, alpha=DIM)
    if slate.ndim == 3 and slate.shape[2] == 4:
        slate[..., 3] = 255  # a transparent output would show the paused line on nothing
    h, w = slate.shape[:2]
    scale = max(0.4, w / 1280.0)
    thickness = max(1, round(2 * scale))
    (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, scale, thickness)
    origin = (max(0, (w - tw) // 2), max(th, h - h // 8))
    colour = (235, 235, 235, 255)[: slate.shape[2]] if slate.ndim == 3 else 235
    cv2.putText(slate, text, origin, cv2.FONT_HERSHEY_SIMPLEX, scale, colour, thickness, cv2.LINE_AA)
    return slate
