"""What the synthetic scenes are drawn with: low-frequency texture, blur, smooth outlines, and a supersampled canvas
that gives shapes a true fractional alpha at their edges."""

from __future__ import annotations

import cv2
import numpy as np

SUPERSAMPLE = 2  # shapes are drawn at twice the size and shrunk: anti-aliased edges with a true fractional alpha


def smooth_noise(rng: np.random.Generator, h: int, w: int, cells: int) -> np.ndarray:
    """Values in [0, 1) varying over about ``cells`` blobs across the width (low-frequency texture)."""
    gh, gw = max(2, cells * h // max(w, 1)), max(2, cells)
    grid = rng.random((gh, gw), dtype=np.float32)
    return cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC)


def gaussian_blur(img: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(img, (0, 0), max(0.3, float(sigma)))


def chaikin(points, rounds: int = 3) -> np.ndarray:
    """A closed polygon with its corners cut ``rounds`` times: a smooth outline through rough control points."""
    p = np.asarray(points, np.float64)
    for _ in range(rounds):
        q = np.roll(p, -1, axis=0)
        p = np.stack([0.75 * p + 0.25 * q, 0.25 * p + 0.75 * q], axis=1).reshape(-1, 2)
    return p


class Canvas:
    """Drawing at SUPERSAMPLE x the sprite size in units of the frame height, centred horizontally."""

    def __init__(self, width: int, height: int, unit: float) -> None:
        self.W, self.H = width * SUPERSAMPLE, height * SUPERSAMPLE
        self.u = unit * SUPERSAMPLE  # one frame height, in canvas pixels
        self.cx = self.W / 2
        self.ys = np.arange(self.H, dtype=np.float32)[:, None] / self.u
        self.xs = (np.arange(self.W, dtype=np.float32)[None, :] - self.cx) / self.u

    def p(self, x: float, y: float) -> tuple[int, int]:
        return int(round(self.cx + x * self.u)), int(round(y * self.u))

    def n(self, v: float) -> int:
        return max(1, int(round(v * self.u)))

    def blank(self, dtype=np.uint8) -> np.ndarray:
        return np.zeros((self.H, self.W), dtype)

    def poly(self, pts, smooth: int = 0) -> np.ndarray:
        pts = [self.p(x, y) for x, y in pts]
        if smooth:
            pts = chaikin(pts, smooth)
        m = self.blank()
        cv2.fillPoly(m, [np.round(np.asarray(pts)).astype(np.int32)], 255, cv2.LINE_AA)
        return m

    def ellipse(self, centre, axes, start: float = 0, end: float = 360, m: np.ndarray | None = None) -> np.ndarray:
        m = self.blank() if m is None else m
        cv2.ellipse(m, self.p(*centre), (self.n(axes[0]), self.n(axes[1])), 0, start, end, 255, -1, cv2.LINE_AA)
        return m

    def paint(self, img: np.ndarray, draw, colour, opacity: float = 1.0, blur: float = 0.0) -> None:
        """Paint ``colour`` through the mask that ``draw(mask)`` makes (a float mask; 1.0 = fully covered).

        Only the drawn shape's box (grown by the blur's reach) is blended: most shapes are a face's features, and
        blending the whole canvas for each made the demo scene take 0.5 s more to open."""
        m = self.blank(np.float32)
        draw(m)
        x, y, w, h = cv2.boundingRect((m > 0).view(np.uint8))
        if w == 0 or h == 0:
            return
        reach = int(np.ceil(4 * max(0.3, blur * self.u))) + 1 if blur else 0
        y0, y1 = max(0, y - reach), min(self.H, y + h + reach)
        x0, x1 = max(0, x - reach), min(self.W, x + w + reach)
        if blur:
            # blurred on the whole canvas as before (the same values), blended only in the box
            m = gaussian_blur(m, blur * self.u)
        box = (m[y0:y1, x0:x1] * opacity)[..., None]
        part = img[y0:y1, x0:x1]
        part *= 1.0 - box
        part += np.asarray(colour, np.float32) * box

    def shrink(self, img: np.ndarray) -> np.ndarray:
        return cv2.resize(img, (self.W // SUPERSAMPLE, self.H // SUPERSAMPLE), interpolation=cv2.INTER_AREA)
