"""The GUI demo's scene: a head-and-shoulders figure (hair with a soft edge, face, neck, a sweater with folds) in front
of an out-of-focus room (a softly lit window, a plant, a shelf farther back).

The figure is drawn so that a real portrait model segments it as a person (measured in
tests/capture/test_synthetic_quality.py), so the demo shows what the app does on a camera, not a model failing on a
cartoon. Drawn once per source; SyntheticSource moves it.
"""

from __future__ import annotations

import cv2
import numpy as np

from studio.capture.scenes.drawing import Canvas, gaussian_blur, smooth_noise


def room(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """A calm room, out of focus: a warm wall lit from a window on the left, a plant under it, a shelf with muted
    books farther back on the right."""
    ys = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None]
    xs = np.linspace(0.0, 1.0, w, dtype=np.float32)[None, :]
    wall = np.array([168, 186, 200], np.float32)  # BGR
    light = 0.80 + 0.25 * np.exp(-((xs - 0.12) / 0.45) ** 2) * (1.0 - 0.4 * ys)
    img = light[..., None] * wall
    img += (smooth_noise(rng, h, w, 6)[..., None] - 0.5) * 10.0
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
    img = gaussian_blur(img, 2.0 * s)  # a webcam focused on the person leaves the room a little soft
    img += rng.normal(0.0, 2.0, img.shape).astype(np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def figure(rng: np.random.Generator, h: int) -> tuple[np.ndarray, np.ndarray]:
    """A head-and-shoulders figure about 0.9 of the frame height (sprite BGR uint8, alpha float32 in [0, 1]); the
    torso runs off the bottom edge like a person sitting at a webcam. Light comes from the left (the window)."""
    sh, sw = int(0.90 * h), int(0.72 * h)
    c = Canvas(sw, sh, h)
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
    folds = gaussian_blur(folds, 0.009 * c.u)
    knit = 0.95 + 0.10 * smooth_noise(rng, c.H, c.W, 180)
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
    outer = gaussian_blur(hair_f, 0.004 * c.u)  # wispy where it meets the room
    inner = (head > 127) | (ears > 127)
    hair_a = np.where(inner, gaussian_blur(hair_f, 0.0015 * c.u), outer)
    img *= 1.0 - hair_a[..., None]
    img += hair_img * hair_a[..., None]

    alpha = np.maximum.reduce([body, neck, head, ears]).astype(np.float32) / 255
    alpha = np.maximum(alpha, outer)
    img += rng.normal(0.0, 3.0, img.shape).astype(np.float32)
    sprite = np.clip(c.shrink(img), 0, 255).astype(np.uint8)
    alpha = c.shrink(alpha)
    alpha[alpha < 1.0 / 255] = 0.0
    return sprite, np.minimum(alpha, 1.0)
