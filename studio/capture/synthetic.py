"""A synthetic camera for tests, benchmarks and the demo: a person in a room, or a product on a tabletop.

"person" (the GUI demo): a head-and-shoulders figure (hair with a soft edge, face, neck, a sweater with folds) in
front of an out-of-focus room (a softly lit window, a plant, a shelf farther back), walking on a deterministic path.
The figure is drawn so that a real portrait model segments it as a person (measured in
tests/capture/test_synthetic_quality.py), so the demo shows what the app does on a camera, not a model failing on a
cartoon. "product" (the kiosk demo): an opaque bottle with a label on a seamless tabletop backdrop with a soft shadow,
turning on the spot.

Everything is a function of (seed, frame index), so two runs give identical frames, and ``truth_mask()`` is the exact
alpha of the subject in the frame last read: tests of the motion gate, of compositing and of the models measure
against it. Nothing in the product path may use it. The static parts are drawn once in ``open()``; a frame costs a
copy of the background, one masked copy of the subject and a blend of its soft edge (about 1 ms at 1280x720).
"""

from __future__ import annotations

import cv2
import numpy as np

from studio.capture.pacing import FramePacer

# How far the subject travels per second, as a fraction of the frame width (the product scene turns instead).
MOTION_SPEEDS = {"still": 0.0, "slow": 0.03, "moving": 0.15, "fast": 0.6}
SCENES = ("person", "product")
# The GUI demo's motion: the live pipeline's masks trail a subject that walks ("moving") by a few frames, which shows as
# a halo on the trailing edge; someone at a webcam sways and drifts, which "slow" is.
DEMO_MOTION = "slow"
NOISE_VARIANTS = 4  # sensor noise cycles through a few pre-made fields: no random numbers per frame
SUPERSAMPLE = 2  # shapes are drawn at twice the size and shrunk: anti-aliased edges with a true fractional alpha
_TURN_RATE = 12.0  # product scene: radians per second per unit of MOTION_SPEEDS ("slow": a turn in 17 s)
_STRIDE_S = 1.2  # person scene: seconds per step
_STRIDE_EASE = 0.12  # by how much (frame widths per second, at most 90 %) the walk slows down once per step
# The easing over one step: a narrow dip (cos^32, about 0.15 s wide) and its running integral (in steps).
_STRIDE_PHASE = np.linspace(0.0, 1.0, 257)
_STRIDE_TABLE = np.concatenate([[0.0], np.cumsum(
    0.5 * (np.cos(np.pi * _STRIDE_PHASE[1:]) ** 32 + np.cos(np.pi * _STRIDE_PHASE[:-1]) ** 32) / 256)])


def _smooth_noise(rng: np.random.Generator, h: int, w: int, cells: int) -> np.ndarray:
    """Values in [0, 1) varying over about ``cells`` blobs across the width (low-frequency texture)."""
    gh, gw = max(2, cells * h // max(w, 1)), max(2, cells)
    grid = rng.random((gh, gw), dtype=np.float32)
    return cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC)


def _blur(img: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(img, (0, 0), max(0.3, float(sigma)))


def _chaikin(points, rounds: int = 3) -> np.ndarray:
    """A closed polygon with its corners cut ``rounds`` times: a smooth outline through rough control points."""
    p = np.asarray(points, np.float64)
    for _ in range(rounds):
        q = np.roll(p, -1, axis=0)
        p = np.stack([0.75 * p + 0.25 * q, 0.25 * p + 0.75 * q], axis=1).reshape(-1, 2)
    return p


class _Canvas:
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
            pts = _chaikin(pts, smooth)
        m = self.blank()
        cv2.fillPoly(m, [np.round(np.asarray(pts)).astype(np.int32)], 255, cv2.LINE_AA)
        return m

    def ellipse(self, centre, axes, start: float = 0, end: float = 360, m: np.ndarray | None = None) -> np.ndarray:
        m = self.blank() if m is None else m
        cv2.ellipse(m, self.p(*centre), (self.n(axes[0]), self.n(axes[1])), 0, start, end, 255, -1, cv2.LINE_AA)
        return m

    def paint(self, img: np.ndarray, draw, colour, opacity: float = 1.0, blur: float = 0.0) -> None:
        """Paint ``colour`` through the mask that ``draw(mask)`` makes (a float mask; 1.0 = fully covered)."""
        m = self.blank(np.float32)
        draw(m)
        if blur:
            m = _blur(m, blur * self.u)
        m = (m * opacity)[..., None]
        img *= 1.0 - m
        img += np.asarray(colour, np.float32) * m

    def shrink(self, img: np.ndarray) -> np.ndarray:
        return cv2.resize(img, (self.W // SUPERSAMPLE, self.H // SUPERSAMPLE), interpolation=cv2.INTER_AREA)


# -- the person scene ------------------------------------------------------------------------------------------


def _room(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """A calm room, out of focus: a warm wall lit from a window on the left, a plant under it, a shelf with muted
    books farther back on the right."""
    ys = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None]
    xs = np.linspace(0.0, 1.0, w, dtype=np.float32)[None, :]
    wall = np.array([168, 186, 200], np.float32)  # BGR
    light = 0.80 + 0.25 * np.exp(-((xs - 0.12) / 0.45) ** 2) * (1.0 - 0.4 * ys)
    img = light[..., None] * wall
    img += (_smooth_noise(rng, h, w, 6)[..., None] - 0.5) * 10.0
    s = h / 720.0

    def pt(x: float, y: float) -> tuple[int, int]:
        return int(x * w), int(y * h)

    # window: a frame, daylight brighter at the top, mullions
    cv2.rectangle(img, pt(0.04, 0.08), pt(0.30, 0.62), (222, 222, 214), -1)
    pane = np.zeros((h, w), np.float32)
    cv2.rectangle(pane, pt(0.055, 0.10), pt(0.285, 0.60), 1.0, -1)
    daylight = (0.9 + 0.1 * (1.0 - ys))[..., None] * np.array([250, 244, 236], np.float32)
    img = img * (1.0 - pane[..., None]) + daylight * pane[..., None]
    for a, b in ((pt(0.17, 0.10), pt(0.17, 0.60)), (pt(0.055, 0.35), pt(0.285, 0.35))):
        cv2.line(img, a, b, (205, 208, 206), max(1, int(8 * s)))
    # plant: a terracotta pot and long leaves
    pot = np.array([pt(0.07, 0.80), pt(0.17, 0.80), pt(0.16, 1.0), pt(0.08, 1.0)], np.int32)
    cv2.fillPoly(img, [pot], (70, 95, 150), cv2.LINE_AA)
    for _ in range(14):
        ang, length = rng.uniform(-150, -30), rng.uniform(0.10, 0.22) * h
        x0, y0 = (0.12 + rng.uniform(-0.02, 0.02)) * w, 0.80 * h
        x1, y1 = x0 + np.cos(np.radians(ang)) * length, y0 + np.sin(np.radians(ang)) * length
        colour = tuple(float(c) for c in np.array([60, 110, 70]) * rng.uniform(0.7, 1.1))
        cv2.ellipse(img, (int((x0 + x1) / 2), int((y0 + y1) / 2)), (int(length / 2), max(1, int(0.018 * h))), ang,
                    0, 360, colour, -1, cv2.LINE_AA)
    # shelf: wooden boards and muted books, with gaps
    x0, x1 = int(0.70 * w), int(0.97 * w)
    for row in range(2):
        y = int((0.36 + row * 0.24) * h)
        cv2.rectangle(img, (x0, y), (x1, y + max(2, int(10 * s))), (95, 125, 160), -1)
        x = x0 + int(6 * s)
        while x < x1 - 20 * s:
            bw, bh = max(1, int(rng.integers(14, 30) * s)), int(rng.integers(70, 110) * s)
            colour = tuple(float(c) for c in np.array([150, 160, 170]) + rng.integers(-45, 30, 3))
            cv2.rectangle(img, (x, y - bh), (min(x + bw, x1), y - 1), colour, -1)
            x += bw + int(rng.integers(1, 4) * s) + (int(40 * s) if rng.random() < 0.12 else 0)
    img = _blur(img, 2.0 * s)  # a webcam focused on the person leaves the room a little soft
    img += rng.normal(0.0, 2.0, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def _person(rng: np.random.Generator, h: int) -> tuple[np.ndarray, np.ndarray]:
    """A head-and-shoulders figure about 0.9 of the frame height (sprite BGR uint8, alpha float32 in [0, 1]); the
    torso runs off the bottom edge like a person sitting at a webcam. Light comes from the left (the window)."""
    sh, sw = int(0.90 * h), int(0.72 * h)
    c = _Canvas(sw, sh, h)
    ys, xs = c.ys, c.xs
    bottom = sh / h + 0.05

    # Shapes. Body: one smooth outline over neck base, sloping shoulders, arms down the sides, off the bottom.
    half = [(0.068, 0.360), (0.098, 0.388), (0.17, 0.414), (0.235, 0.436), (0.275, 0.470), (0.297, 0.527),
            (0.303, 0.62), (0.308, 0.80), (0.312, bottom), (0.312, bottom + 0.1)]
    neckline = [(-0.034, 0.379), (0.0, 0.385), (0.034, 0.379)]  # a crew neck dips in front
    body = c.poly([(-x, y) for x, y in reversed(half)] + neckline + half, smooth=3)
    neck = c.poly([(-0.058, 0.27), (0.058, 0.27), (0.070, 0.39), (-0.070, 0.39)])
    head = c.ellipse((0, 0.20), (0.092, 0.112), 180, 360)
    c.ellipse((0, 0.20), (0.088, 0.135), 0, 180, head)
    ears = c.ellipse((-0.088, 0.218), (0.016, 0.032))
    c.ellipse((0.088, 0.218), (0.016, 0.032), m=ears)
    hair = c.ellipse((0, 0.19), (0.108, 0.122), 180, 360)
    c.ellipse((0, 0.19), (0.106, 0.06), 0, 180, hair)
    face_cut = c.ellipse((0.014, 0.215), (0.083, 0.088), 180, 360)  # a hairline with a side part
    c.ellipse((0, 0.215), (0.086, 0.15), 0, 180, face_cut)
    hair = cv2.subtract(hair, face_cut)

    key = (1.0 - 0.35 * xs) * np.ones((c.H, 1), np.float32)  # the window's light falls off to the right
    img = np.empty((c.H, c.W, 3), np.float32)

    # Sweater: round (darker towards the outline), knitted, a few soft folds, the arms' creases, a ribbed collar.
    d = cv2.distanceTransform((body > 127).astype(np.uint8), cv2.DIST_L2, 5) / c.u
    roundness = 0.55 + 0.45 * np.sqrt(np.clip(d / 0.08, 0, 1))
    folds = c.blank(np.float32)
    for side in (-1, 1):  # drape from the armpits towards the middle, creases along the arms
        pts = [c.p(side * (0.20 - 0.07 * t), 0.56 + 0.20 * t + 0.02 * np.sin(4 * t)) for t in np.linspace(0, 1, 10)]
        cv2.polylines(folds, [np.asarray(pts, np.int32)], False, 0.6, c.n(0.012), cv2.LINE_AA)
        pts = [c.p(side * (0.215 + 0.012 * t), 0.60 + 0.40 * t) for t in np.linspace(0, 1, 8)]
        cv2.polylines(folds, [np.asarray(pts, np.int32)], False, 1.0, c.n(0.008), cv2.LINE_AA)
    for k in range(3):  # loose horizontal wrinkles at the waist
        y0 = 0.80 + 0.035 * k + rng.uniform(-0.01, 0.01)
        pts = [c.p(x, y0 + 0.012 * np.sin(9 * x + k)) for x in np.linspace(-0.16, 0.16, 12)]
        cv2.polylines(folds, [np.asarray(pts, np.int32)], False, 0.4, c.n(0.010), cv2.LINE_AA)
    folds = _blur(folds, 0.009 * c.u)
    knit = 0.95 + 0.10 * _smooth_noise(rng, c.H, c.W, 180)
    img[:] = (roundness * key * knit * (1.0 - 0.45 * folds))[..., None] * np.array([105, 72, 48], np.float32)
    c.paint(img, lambda m: cv2.ellipse(m, c.p(0, 0.362), (c.n(0.074), c.n(0.026)), 0, 0, 180, 1.0, c.n(0.014),
                                       cv2.LINE_AA), (80, 55, 38), 0.7)

    skin = np.array([140, 168, 222], np.float32)
    neck_shade = (0.62 + 0.30 * np.clip((ys - 0.31) / 0.08, 0, 1)) * key  # the chin's shadow
    m = (neck > 127) & (body < 200)
    img[m] = (neck_shade[..., None] * skin)[m]
    m = ears > 127
    img[m] = ((0.8 * key)[..., None] * skin)[m]
    dh = cv2.distanceTransform((head > 127).astype(np.uint8), cv2.DIST_L2, 5) / c.u
    m = head > 127
    img[m] = (((0.70 + 0.30 * np.sqrt(np.clip(dh / 0.05, 0, 1))) * key)[..., None] * skin)[m]

    # Face: eyes (white, iris, pupil, lid), brows, the nose's shadow, lips.
    for side in (-1, 1):
        ex = side * 0.038
        c.paint(img, lambda m: cv2.ellipse(m, c.p(ex, 0.205), (c.n(0.020), c.n(0.009)), 0, 0, 360, 1.0, -1,
                                           cv2.LINE_AA), (215, 220, 225), 0.9)
        c.paint(img, lambda m: cv2.circle(m, c.p(ex, 0.205), c.n(0.0085), 1.0, -1, cv2.LINE_AA), (40, 60, 90))
        c.paint(img, lambda m: cv2.circle(m, c.p(ex, 0.205), c.n(0.004), 1.0, -1, cv2.LINE_AA), (20, 20, 25))
        c.paint(img, lambda m: cv2.ellipse(m, c.p(ex, 0.206), (c.n(0.021), c.n(0.011)), 0, 190, 350, 1.0,
                                           c.n(0.004), cv2.LINE_AA), (45, 55, 75))
        c.paint(img, lambda m: cv2.ellipse(m, c.p(ex + side * 0.002, 0.188), (c.n(0.025), c.n(0.010)), 0, 200, 340,
                                           1.0, c.n(0.006), cv2.LINE_AA), (35, 45, 60))
    c.paint(img, lambda m: cv2.line(m, c.p(0.012, 0.215), c.p(0.016, 0.262), 1.0, c.n(0.008), cv2.LINE_AA),
            (90, 110, 160), 0.5, 0.004)
    c.paint(img, lambda m: cv2.ellipse(m, c.p(0, 0.265), (c.n(0.016), c.n(0.007)), 0, 0, 360, 1.0, -1,
                                       cv2.LINE_AA), (80, 100, 150), 0.5, 0.003)
    c.paint(img, lambda m: cv2.ellipse(m, c.p(0, 0.296), (c.n(0.028), c.n(0.009)), 0, 0, 360, 1.0, -1,
                                       cv2.LINE_AA), (95, 95, 175), 0.85, 0.0015)
    c.paint(img, lambda m: cv2.ellipse(m, c.p(0, 0.294), (c.n(0.028), c.n(0.004)), 0, 0, 180, 1.0, c.n(0.003),
                                       cv2.LINE_AA), (60, 60, 110), 0.9)

    # Hair: strands (noise stretched along its fall), a sheen where the light hits, a soft outer edge.
    strands = cv2.resize(rng.random((max(2, c.H // 12), c.W), dtype=np.float32), (c.W, c.H),
                         interpolation=cv2.INTER_LINEAR)
    sheen = np.exp(-(((ys - 0.12) / 0.03) ** 2 + ((xs + 0.03) / 0.06) ** 2))
    hair_img = ((0.75 + 0.5 * strands + 0.6 * sheen) * key)[..., None] * np.array([28, 38, 55], np.float32)
    hair_f = hair.astype(np.float32) / 255
    outer = _blur(hair_f, 0.004 * c.u)  # wispy where it meets the room
    inner = (head > 127) | (ears > 127)
    hair_a = np.where(inner, _blur(hair_f, 0.0015 * c.u), outer)
    img *= 1.0 - hair_a[..., None]
    img += hair_img * hair_a[..., None]

    alpha = np.maximum.reduce([body, neck, head, ears]).astype(np.float32) / 255
    alpha = np.maximum(alpha, outer)
    img += rng.normal(0.0, 3.0, img.shape).astype(np.float32)
    sprite = np.clip(c.shrink(img), 0, 255).astype(np.uint8)
    alpha = c.shrink(alpha)
    alpha[alpha < 1.0 / 255] = 0.0
    return sprite, np.minimum(alpha, 1.0)


# -- the product scene -----------------------------------------------------------------------------------------


def _backdrop(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """A seamless paper sweep: wall at the top curving into the tabletop, lit from the upper left."""
    ys = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None]
    xs = np.linspace(0.0, 1.0, w, dtype=np.float32)[None, :]
    sweep = 1.0 / (1.0 + np.exp(-(ys - 0.62) / 0.05))  # 0 on the wall, 1 on the table
    light = 0.86 + 0.12 * np.exp(-(((xs - 0.3) / 0.6) ** 2 + ((ys - 0.2) / 0.8) ** 2)) + 0.05 * sweep
    base = np.array([214, 218, 222], np.float32) * (1 - sweep[..., None]) + \
        np.array([226, 228, 230], np.float32) * sweep[..., None]
    img = light[..., None] * base + (_smooth_noise(rng, h, w, 5)[..., None] - 0.5) * 4.0
    return img


def _bottle(h: int) -> tuple[np.ndarray, np.ndarray, tuple[int, int, int, int], np.ndarray]:
    """An opaque, matte bottle with a cap, about 0.62 of the frame height: sprite BGR float32 (without the label),
    alpha float32, the label's rectangle (x0, y0, x1, y1) in sprite pixels, and the cylinder shading per label column.
    """
    sh, sw = int(0.66 * h), int(0.26 * h)
    c = _Canvas(sw, sh, h)
    r = 0.11  # body radius, frame heights
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


def _label_strip(rng: np.random.Generator, height: int, length: int) -> np.ndarray:
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


# -- the source ------------------------------------------------------------------------------------------------


class SyntheticSource:
    """``motion``: "still", "slow", "moving" or "fast" (how fast the subject walks or, in the product scene, turns).
    ``noise``: standard deviation of sensor-like noise on the background (0 = frames of a still scene are identical).
    ``realtime=False`` returns frames as fast as they render (tests, benchmarks). ``scene``: "person" or "product".
    """

    is_live = False

    def __init__(self, width: int = 1280, height: int = 720, fps: float = 30.0, motion: str = "moving",
                 seed: int = 0, *, noise: float = 0.0, realtime: bool = True, scene: str = "person") -> None:
        if motion not in MOTION_SPEEDS:
            raise ValueError(f"motion must be one of {sorted(MOTION_SPEEDS)}, got {motion!r}")
        if scene not in SCENES:
            raise ValueError(f"scene must be one of {list(SCENES)}, got {scene!r}")
        if width < 32 or height < 32:
            raise ValueError("synthetic frames need at least 32x32 pixels")
        self.width, self.height, self._fps = int(width), int(height), float(fps)
        self.motion, self.seed, self.noise, self.scene = motion, seed, float(noise), scene
        self.name = f"synthetic:{motion}" if scene == "person" else f"synthetic:{scene}:{motion}"
        self.realtime = bool(realtime)
        self._pacer = FramePacer(self._fps) if realtime else None
        self._backgrounds: list[np.ndarray] = []
        self._sprite: np.ndarray | None = None
        self._alpha: np.ndarray | None = None
        self._solid: np.ndarray | None = None  # uint8 mask of the fully opaque sprite pixels (cv2.copyTo)
        self._edge: tuple[np.ndarray, ...] = ()  # rows, cols, alpha, colour of the partly transparent pixels
        self._label: tuple | None = None  # product scene: strip, rectangle, shading, column angles
        self.index = 0  # index of the next frame
        self._last_pos: tuple[int, int] | None = None

    @property
    def fps(self) -> float:
        return self._fps

    @property
    def size(self) -> tuple[int, int]:
        return (self.width, self.height)

    def open(self) -> None:
        if self._sprite is None:
            rng = np.random.default_rng(self.seed)
            if self.scene == "person":
                bg = _room(rng, self.width, self.height)
                sprite, alpha = _person(rng, self.height)
            else:
                bg, sprite, alpha = self._build_product(rng)
            self._set_sprite(sprite, alpha)
            self._backgrounds = [bg]
            if self.noise > 0:
                self._backgrounds = [
                    np.clip(bg + rng.normal(0.0, self.noise, bg.shape).astype(np.float32), 0, 255).astype(np.uint8)
                    for _ in range(NOISE_VARIANTS)]
        self.index = 0
        if self._pacer is not None:
            self._pacer.reset()

    def _set_sprite(self, sprite: np.ndarray, alpha: np.ndarray) -> None:
        self._sprite, self._alpha = sprite, alpha
        self._solid = (alpha >= 1.0).astype(np.uint8)
        rows, cols = np.nonzero((alpha > 0) & (alpha < 1.0))
        a = alpha[rows, cols][:, None]
        self._edge = (rows, cols, a, sprite[rows, cols].astype(np.float32) * a, 1.0 - a)

    def _build_product(self, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The backdrop with the bottle's soft shadow baked in (the bottle turns on the spot, so its shadow stays)."""
        w, h = self.width, self.height
        bg = _backdrop(rng, w, h)
        sprite, alpha, rect, shade = _bottle(h)
        sh, sw = alpha.shape
        x, y = self.position(0, (sh, sw))
        # Contact shadow under the base, and a longer, fainter one cast to the right (light from the upper left).
        shadow = np.zeros((h, w), np.float32)
        base_y, cx, r = y + sh - int(0.01 * h), x + sw // 2, int(0.11 * h)
        cv2.ellipse(shadow, (cx, base_y), (int(r * 1.05), max(1, int(0.022 * h))), 0, 0, 360, 0.55, -1, cv2.LINE_AA)
        cv2.ellipse(shadow, (cx + int(0.16 * h), base_y - int(0.01 * h)), (int(0.22 * h), max(1, int(0.04 * h))),
                    -4, 0, 360, 0.22, -1, cv2.LINE_AA)
        shadow = _blur(shadow, 0.018 * h)
        bg *= (1.0 - shadow)[..., None]
        bg += rng.normal(0.0, 1.5, bg.shape).astype(np.float32)
        x0, y0, x1, y1 = rect
        radius_px = 0.11 * h
        length = max(8, int(round(2 * np.pi * radius_px)))
        strip = _label_strip(rng, y1 - y0, length)
        cols = (np.arange(x0, x1, dtype=np.float32) + 0.5 - sw / 2) / radius_px
        arc = np.arcsin(np.clip(cols, -1, 1)) * radius_px  # where each visible column sits on the unrolled label
        self._label = (strip, rect, shade[None, :, None], arc)
        sprite = np.clip(sprite, 0, 255).astype(np.uint8)
        return np.clip(bg, 0, 255).astype(np.uint8), sprite, alpha

    def position(self, index: int, sprite_shape: tuple[int, int] | None = None) -> tuple[int, int]:
        """Top-left corner of the subject in frame ``index``. Person: a back-and-forth walk across the frame with a
        slight bob, at a constant speed along the path. Product: standing still in the middle (it turns instead)."""
        if sprite_shape is None:
            assert self._sprite is not None, "open() first"
            sprite_shape = self._sprite.shape[:2]
        sh, sw = sprite_shape
        if self.scene == "product":
            return (self.width - sw) // 2, int(0.90 * self.height) - sh
        x_min, x_max = int(0.05 * self.width), max(int(0.05 * self.width) + 1, int(0.95 * self.width) - sw)
        centre_x = (self.width - sw) // 2
        base_y = self.height - sh
        dist = self._distance(index)
        if dist == 0:
            return centre_x, base_y
        span = x_max - x_min
        # Start in the middle, walking right; the triangle wave turns at both edges.
        u = (dist + (centre_x - x_min)) % (2 * span)
        x = x_min + (u if u <= span else 2 * span - u)
        bob = 0.02 * self.height * (np.sin(dist / (0.08 * self.width)) - 1.0)
        return int(round(x)), int(round(base_y - bob))

    def _distance(self, index: int) -> float:
        """Pixels walked by frame ``index`` at the motion's mean speed, in strides: the speed eases off briefly once
        per step, as a person's does, rather than a cut-out sliding at a constant rate (a frame-difference gate sees
        motion that eases and resumes)."""
        speed = MOTION_SPEEDS[self.motion]
        if speed == 0:
            return 0.0
        t = index / self._fps
        depth = min(0.9, _STRIDE_EASE / speed)  # a brisk walk hardly slows down
        cruise = speed * self.width / (1.0 - depth * _STRIDE_TABLE[-1])  # so the mean speed stays ``speed``
        steps, frac = divmod(t / _STRIDE_S, 1.0)
        eased = steps * _STRIDE_TABLE[-1] + np.interp(frac, _STRIDE_PHASE, _STRIDE_TABLE)
        return float(cruise * (t - depth * _STRIDE_S * eased))

    def render(self, index: int) -> np.ndarray:
        """Frame ``index`` as a new array (frames travel by reference, so one is never reused for the next)."""
        assert self._sprite is not None, "open() first"
        image = self._backgrounds[index % len(self._backgrounds)].copy()
        x, y = self.position(index)
        dst, src = self._clip(x, y)
        if dst is None:
            return image
        # cv2.copyTo writes through the view: ~20x faster than a masked np.copyto.
        cv2.copyTo(self._sprite[src], self._solid[src], image[dst])
        rows, cols, a, premul, inv = self._edge
        fr, fc = rows + y, cols + x
        keep = (fr >= 0) & (fr < self.height) & (fc >= 0) & (fc < self.width)
        if not keep.all():
            fr, fc, premul, inv = fr[keep], fc[keep], premul[keep], inv[keep]
        image[fr, fc] = (image[fr, fc] * inv + premul + 0.5).astype(np.uint8)
        if self._label is not None:
            self._draw_label(image, index, x, y)
        return image

    def _draw_label(self, image: np.ndarray, index: int, x: int, y: int) -> None:
        """The label as seen on the turning bottle: each visible column shows the strip at its angle plus the turn."""
        strip, (x0, y0, x1, y1), shade, arc = self._label
        turn = MOTION_SPEEDS[self.motion] * _TURN_RATE * index / self._fps  # radians
        radius_px = 0.11 * self.height
        cols = ((arc + turn * radius_px) % strip.shape[1]).astype(np.intp)
        # Clip the label to the frame (a frame narrower than the bottle).
        fx0, fx1 = max(0, x + x0), min(self.width, x + x1)
        fy0, fy1 = max(0, y + y0), min(self.height, y + y1)
        if fx0 >= fx1 or fy0 >= fy1:
            return
        cs, rs = slice(fx0 - x - x0, fx1 - x - x0), slice(fy0 - y - y0, fy1 - y - y0)
        image[fy0:fy1, fx0:fx1] = np.minimum(strip[rs][:, cols[cs]] * shade[:, cs], 255.0)

    def _clip(self, x: int, y: int):
        """Slices of the frame and of the sprite where they overlap with the sprite's corner at (x, y)."""
        sh, sw = self._sprite.shape[:2]
        fx0, fy0 = max(0, x), max(0, y)
        fx1, fy1 = min(self.width, x + sw), min(self.height, y + sh)
        if fx0 >= fx1 or fy0 >= fy1:
            return None, None
        return (slice(fy0, fy1), slice(fx0, fx1)), (slice(fy0 - y, fy1 - y), slice(fx0 - x, fx1 - x))

    def read(self) -> np.ndarray:
        if self._sprite is None:
            self.open()
        if self._pacer is not None:
            self._pacer.wait()
        image = self.render(self.index)
        self._last_pos = self.position(self.index)
        self.index += 1
        return image

    def truth_mask(self, index: int | None = None) -> np.ndarray:
        """HxW float32 alpha of the subject (1 inside, fractional on anti-aliased and soft edges such as hair, 0
        elsewhere) for frame ``index`` (default: the frame last read). Ground truth for tests and measurements only:
        the product path must never use it."""
        if index is None:
            if self._last_pos is None:
                raise RuntimeError("no frame has been read yet")
            x, y = self._last_pos
        else:
            x, y = self.position(index)
        mask = np.zeros((self.height, self.width), np.float32)
        dst, src = self._clip(x, y)
        if dst is not None:
            mask[dst] = self._alpha[src]
        return mask

    def close(self) -> None:
        # Keep the rendered scene: reopening (a swap back, a retry) is then instant.
        pass


def demo_source(width: int = 1280, height: int = 720, fps: float = 30.0) -> SyntheticSource:
    """What the GUI shows when there is no camera: a person drifting slowly through a room, as someone at a webcam
    does (DEMO_MOTION), with a little sensor noise."""
    return SyntheticSource(width, height, fps, motion=DEMO_MOTION, seed=0, noise=2.0)


def product_demo_source(width: int = 1280, height: int = 720, fps: float = 30.0,
                        motion: str = DEMO_MOTION) -> SyntheticSource:
    """What the kiosk shows when there is no camera: a bottle turning on a tabletop, with a little sensor noise."""
    return SyntheticSource(width, height, fps, motion=motion, seed=0, noise=2.0, scene="product")
