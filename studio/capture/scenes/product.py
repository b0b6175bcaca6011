"""The kiosk demo's scene: an opaque bottle with a label on a seamless tabletop backdrop with a soft shadow.

The bottle turns on the spot, so its silhouette and shadow are drawn once; only the label changes from frame to
frame (``paint_label``), by the angle SyntheticSource gives it.
"""

from __future__ import annotations

from typing import NamedTuple

import cv2
import numpy as np

from studio.capture.scenes.drawing import Canvas, gaussian_blur, smooth_noise

RADIUS = 0.11  # the bottle body's radius, in frame heights


class TurningLabel(NamedTuple):
    """The label unrolled (``strip``), the sprite rectangle it shows through (x0, y0, x1, y1), the cylinder shading
    per visible column (1xNx1) and where each visible column sits on the unrolled strip (``arc``, pixels)."""

    strip: np.ndarray
    rect: tuple[int, int, int, int]
    shade: np.ndarray
    arc: np.ndarray


def standing_spot(width: int, height: int, sprite_shape: tuple[int, int]) -> tuple[int, int]:
    """Top-left corner of the bottle: in the middle, its base a tenth of the frame above the bottom edge."""
    sh, sw = sprite_shape
    return (width - sw) // 2, int(0.90 * height) - sh


def backdrop(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """A seamless paper sweep: wall at the top curving into the tabletop, lit from the upper left."""
    ys = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None]
    xs = np.linspace(0.0, 1.0, w, dtype=np.float32)[None, :]
    sweep = 1.0 / (1.0 + np.exp(-(ys - 0.62) / 0.05))  # 0 on the wall, 1 on the table
    light = 0.86 + 0.12 * np.exp(-(((xs - 0.3) / 0.6) ** 2 + ((ys - 0.2) / 0.8) ** 2)) + 0.05 * sweep
    base = np.array([214, 218, 222], np.float32) * (1 - sweep[..., None]) + \
        np.array([226, 228, 230], np.float32) * sweep[..., None]
    img = light[..., None] * base + (smooth_noise(rng, h, w, 5)[..., None] - 0.5) * 4.0
    return img


def bottle(h: int) -> tuple[np.ndarray, np.ndarray, tuple[int, int, int, int], np.ndarray]:
    """An opaque, matte bottle with a cap, about 0.62 of the frame height: sprite BGR float32 (without the label),
    alpha float32, the label's rectangle (x0, y0, x1, y1) in sprite pixels, and the cylinder shading per label column.
    """
    sh, sw = int(0.66 * h), int(0.26 * h)
    c = Canvas(sw, sh, h)
    r = RADIUS
    half = [(0.034, 0.0), (0.036, 0.06), (0.040, 0.075), (0.040, 0.12), (0.075, 0.16), (r, 0.21), (r, 0.60),
            (r - 0.008, 0.625), (r - 0.025, 0.632)]
    body = c.poly([(-x, y) for x, y in reversed(half)] + half, smooth=3)
    cap = c.poly([(-0.044, 0.0), (0.044, 0.0), (0.044, 0.065), (-0.044, 0.065)], smooth=2)
    xn = np.clip(c.xs / r, -1, 1)
    cyl = np.sqrt(1.0 - xn ** 2)  # the surface normal's facing towards the camera
    light = 0.40 + 0.60 * np.clip(0.55 * cyl - 0.45 * xn + 0.1, 0, 1) ** 0.8  # lit from the left
    highlight = np.exp(-((xn + 0.45) / 0.08) ** 2) * 0.35
    img = np.empty((c.H, c.W, 3), np.float32)
    img[:] = (light + highlight)[..., None] * np.array([78, 112, 46], np.float32) * np.ones((c.H, 1, 1))  # sage green
    m = cap > 127
    capc = ((0.55 + 0.5 * np.clip(0.55 * np.sqrt(1 - np.clip(c.xs / 0.044, -1, 1) ** 2) - 0.4 * c.xs / 0.044, 0, 1))
            [..., None] * np.array([60, 60, 64], np.float32)) * np.ones((c.H, 1, 1))
    img[m] = capc[m]
    alpha = np.maximum(body, cap).astype(np.float32) / 255
    sprite = c.shrink(img)
    alpha = c.shrink(alpha)
    alpha[alpha < 1.0 / 255] = 0.0
    # The label wraps the straight part of the body; its columns are those fully inside the silhouette.
    y0, y1 = int(0.30 * h), int(0.52 * h)
    inside = np.nonzero(alpha[(y0 + y1) // 2] >= 1.0)[0]
    x0, x1 = int(inside[0]), int(inside[-1]) + 1
    xs = (np.arange(x0, x1, dtype=np.float32) + 0.5 - sw / 2) / (r * h)
    shade = (0.55 + 0.50 * np.clip(0.55 * np.sqrt(1 - np.clip(xs, -1, 1) ** 2) - 0.45 * xs + 0.1, 0, 1) ** 0.8)
    return sprite, np.minimum(alpha, 1.0), (x0, y0, x1, y1), shade.astype(np.float32)


def label_strip(rng: np.random.Generator, height: int, length: int) -> np.ndarray:
    """The label unrolled, its front at column 0: cream paper, brand bands, a round logo over the brand name at the
    front and again at the back, small print and a barcode on the sides between (BGR uint8)."""
    strip = np.empty((height, length, 3), np.uint8)
    strip[:] = (226, 236, 242)
    u = height / 100.0
    brand, green = (48, 64, 150), (78, 112, 46)
    cv2.rectangle(strip, (0, int(6 * u)), (length, int(14 * u)), brand, -1)
    cv2.rectangle(strip, (0, int(90 * u)), (length, int(94 * u)), brand, -1)
    name, font = "ORCHARD", cv2.FONT_HERSHEY_DUPLEX
    scale = 14 * u / cv2.getTextSize(name, font, 1.0, 1)[0][1]
    (tw, _th), _ = cv2.getTextSize(name, font, scale, max(1, int(1.6 * u)))
    mid = length // 2  # the front, drawn in the middle and rolled to column 0 at the end
    for cx in (mid, 0, length):  # front, and the back (which straddles the strip's ends)
        cv2.circle(strip, (cx, int(36 * u)), int(16 * u), brand, -1, cv2.LINE_AA)
        cv2.circle(strip, (cx, int(36 * u)), int(11 * u), (226, 236, 242), -1, cv2.LINE_AA)
        cv2.ellipse(strip, (cx, int(36 * u)), (int(8 * u), int(4 * u)), -35, 0, 360, green, -1, cv2.LINE_AA)
        cv2.putText(strip, name, (cx - tw // 2, int(75 * u)), font, scale, (40, 50, 70), max(1, int(1.6 * u)),
                    cv2.LINE_AA)
    for row in range(5):  # a block of small print a quarter turn from the front
        y, x, end = int((30 + 9 * row) * u), int(0.68 * length), int((0.84 if row % 2 else 0.82) * length)
        while x < end:
            wlen = int(rng.integers(4, 12) * u)
            cv2.rectangle(strip, (x, y), (min(x + wlen, end), y + max(1, int(3 * u))), (80, 80, 90), -1)
            x += wlen + max(1, int(3 * u))
    bx = int(0.18 * length)
    for k in range(30):  # a barcode on the other side
        bw = max(1, int(rng.integers(1, 3) * u / 2))
        if k % 3:
            cv2.rectangle(strip, (bx, int(45 * u)), (bx + bw, int(75 * u)), (30, 30, 30), -1)
        bx += bw + max(1, int(u))
    return np.roll(strip, -mid, axis=1)


def build(rng: np.random.Generator, w: int, h: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, TurningLabel]:
    """Background, bottle sprite (uint8), its alpha and its label. The backdrop has the bottle's soft shadow baked in
    (the bottle turns on the spot, so its shadow stays)."""
    bg = backdrop(rng, w, h)
    sprite, alpha, rect, shade = bottle(h)
    sh, sw = alpha.shape
    x, y = standing_spot(w, h, (sh, sw))
    # Contact shadow under the base, and a longer, fainter one cast to the right (light from the upper left).
    shadow = np.zeros((h, w), np.float32)
    base_y, cx, r = y + sh - int(0.01 * h), x + sw // 2, int(RADIUS * h)
    cv2.ellipse(shadow, (cx, base_y), (int(r * 1.05), max(1, int(0.022 * h))), 0, 0, 360, 0.55, -1, cv2.LINE_AA)
    cv2.ellipse(shadow, (cx + int(0.16 * h), base_y - int(0.01 * h)), (int(0.22 * h), max(1, int(0.04 * h))),
                -4, 0, 360, 0.22, -1, cv2.LINE_AA)
    shadow = gaussian_blur(shadow, 0.018 * h)
    bg *= (1.0 - shadow)[..., None]
    bg += rng.normal(0.0, 1.5, bg.shape).astype(np.float32)
    x0, y0, x1, y1 = rect
    radius_px = RADIUS * h
    length = max(8, int(round(2 * np.pi * radius_px)))
    strip = label_strip(rng, y1 - y0, length)
    cols = (np.arange(x0, x1, dtype=np.float32) + 0.5 - sw / 2) / radius_px
    arc = np.arcsin(np.clip(cols, -1, 1)) * radius_px  # where each visible column sits on the unrolled label
    label = TurningLabel(strip, rect, shade[None, :, None], arc)
    sprite = np.clip(sprite, 0, 255).astype(np.uint8)
    return np.clip(bg, 0, 255).astype(np.uint8), sprite, alpha, label


def paint_label(image: np.ndarray, label: TurningLabel, turn: float, x: int, y: int) -> None:
    """The label as seen on the bottle (its sprite's corner at (x, y)) turned by ``turn`` radians: each visible
    column shows the strip at its angle plus the turn."""
    strip, (x0, y0, x1, y1), shade, arc = label
    height, width = image.shape[:2]
    radius_px = RADIUS * height
    cols = ((arc + turn * radius_px) % strip.shape[1]).astype(np.intp)
    # Clip the label to the frame (a frame narrower than the bottle).
    fx0, fx1 = max(0, x + x0), min(width, x + x1)
    fy0, fy1 = max(0, y + y0), min(height, y + y1)
    if fx0 >= fx1 or fy0 >= fy1:
        return
    cs, rs = slice(fx0 - x - x0, fx1 - x - x0), slice(fy0 - y - y0, fy1 - y - y0)
    image[fy0:fy1, fx0:fx1] = np.minimum(strip[rs][:, cols[cs]] * shade[:, cs], 255.0)
