"""Generate the bundled background pictures (resources/backgrounds/*.jpg): all ours, made from numbers, no photos.

Run from a checkout: `python installers/make_backgrounds.py [--out DIR]`. The output is deterministic (fixed seeds), so
re-running reproduces the same pictures; see resources/backgrounds/README.md.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

W, H = 1280, 720
QUALITY = 88


def _vertical_gradient(top_bgr, bottom_bgr) -> np.ndarray:
    t = np.linspace(0.0, 1.0, H, dtype=np.float32)[:, None, None]
    top = np.asarray(top_bgr, np.float32)[None, None, :]
    bottom = np.asarray(bottom_bgr, np.float32)[None, None, :]
    img = top * (1 - t) + bottom * t
    return np.broadcast_to(img, (H, W, 3)).astype(np.float32).copy()


def _dither(img: np.ndarray, seed: int) -> np.ndarray:
    # A little noise keeps smooth gradients from banding after JPEG compression.
    rng = np.random.default_rng(seed)
    return np.clip(img + rng.normal(0, 1.2, img.shape), 0, 255).astype(np.uint8)


def gradient_studio() -> np.ndarray:
    """A neutral studio backdrop: grey-blue, lighter in the middle like a lit paper sweep."""
    img = _vertical_gradient((120, 104, 92), (60, 52, 46))
    yy, xx = np.mgrid[0:H, 0:W].astype(np.float32)
    spot = np.exp(-(((xx - W * 0.5) / (W * 0.45)) ** 2 + ((yy - H * 0.45) / (H * 0.6)) ** 2))
    img += spot[..., None] * 70
    return _dither(img, 1)


def gradient_sunset() -> np.ndarray:
    img = _vertical_gradient((170, 110, 60), (80, 140, 250))  # BGR: deep blue at the top to warm orange below
    return _dither(img, 2)


def bokeh(seed: int, base_top, base_bottom, palette) -> np.ndarray:
    """Soft out-of-focus light discs over a dark gradient, as a shallow-depth-of-field photo would show."""
    rng = np.random.default_rng(seed)
    img = _vertical_gradient(base_top, base_bottom)
    layer = np.zeros_like(img)
    for _ in range(70):
        r = int(rng.uniform(20, 90))
        cx, cy = int(rng.uniform(0, W)), int(rng.uniform(0, H))
        colour = np.asarray(palette[rng.integers(len(palette))], np.float32) * rng.uniform(0.35, 0.9)
        disc = np.zeros((H, W), np.float32)
        cv2.circle(disc, (cx, cy), r, 1.0, -1, lineType=cv2.LINE_AA)
        layer += disc[..., None] * colour[None, None, :] * 0.55
    layer = cv2.GaussianBlur(layer, (0, 0), 9)
    return _dither(img + layer, seed)


def room() -> np.ndarray:
    """A simple, calm room: warm wall, wooden floor, a window with daylight, a shelf and a plant-like shape, blurred
    a little as a camera focused on the person would see it."""
    img = _vertical_gradient((170, 196, 214), (140, 168, 190))  # warm beige wall
    floor_y = int(H * 0.78)
    floor = _vertical_gradient((70, 110, 150), (40, 70, 105))[: H - floor_y]
    img[floor_y:] = floor
    for x in range(0, W, 110):  # floor boards
        cv2.line(img, (x, floor_y), (x - 60, H), (35, 60, 90), 2, cv2.LINE_AA)
    cv2.line(img, (0, floor_y), (W, floor_y), (90, 120, 150), 6, cv2.LINE_AA)
    # window with daylight
    x0, y0, x1, y1 = int(W * 0.08), int(H * 0.12), int(W * 0.36), int(H * 0.62)
    sky = _vertical_gradient((250, 225, 190), (240, 240, 235))[: y1 - y0, : x1 - x0]
    img[y0:y1, x0:x1] = sky
    cv2.rectangle(img, (x0, y0), (x1, y1), (235, 240, 245), 12)
    cv2.line(img, ((x0 + x1) // 2, y0), ((x0 + x1) // 2, y1), (235, 240, 245), 8)
    cv2.line(img, (x0, (y0 + y1) // 2), (x1, (y0 + y1) // 2), (235, 240, 245), 8)
    # shelf with books
    sx0, sy = int(W * 0.58), int(H * 0.38)
    cv2.rectangle(img, (sx0, sy), (sx0 + 420, sy + 16), (60, 95, 130), -1)
    rng = np.random.default_rng(7)
    x = sx0 + 12
    while x < sx0 + 400:
        w = int(rng.uniform(14, 30))
        h = int(rng.uniform(60, 100))
        colour = [float(c) for c in rng.uniform(40, 200, 3)]
        cv2.rectangle(img, (x, sy - h), (x + w, sy), colour, -1)
        x += w + 3
    # a plant: pot and leaves
    px, py = int(W * 0.86), floor_y
    cv2.rectangle(img, (px - 45, py - 90), (px + 45, py), (70, 90, 160), -1)
    for i in range(9):
        ang = np.deg2rad(-160 + i * 18)
        tip = (int(px + np.cos(ang) * 150), int(py - 90 + np.sin(ang) * 170))
        cv2.ellipse(img, ((px + tip[0]) // 2, (py - 90 + tip[1]) // 2), (80, 16),
                    float(np.rad2deg(ang)), 0, 360, (60, 130, 50), -1, cv2.LINE_AA)
    img = cv2.GaussianBlur(img, (0, 0), 3.0)
    return _dither(img, 3)


PICTURES = {
    "studio-grey.jpg": gradient_studio,
    "sunset-gradient.jpg": gradient_sunset,
    "bokeh-warm.jpg": lambda: bokeh(11, (40, 30, 30), (20, 15, 20),
                                   [(80, 180, 255), (120, 220, 255), (60, 120, 240), (200, 200, 255)]),
    "bokeh-cool.jpg": lambda: bokeh(12, (60, 35, 20), (30, 20, 10),
                                   [(255, 200, 120), (255, 160, 90), (240, 240, 160), (200, 120, 255)]),
    "room.jpg": room,
}


def main(argv: list[str] | None = None) -> int:
    default_out = Path(__file__).resolve().parents[1] / "resources" / "backgrounds"
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=default_out)
    args = ap.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for name, make in PICTURES.items():
        img = make()
        ok, data = cv2.imencode(".jpg", img, [cv2.IMWRITE_JPEG_QUALITY, QUALITY])
        if not ok:
            raise SystemExit(f"could not encode {name}")
        (args.out / name).write_bytes(data.tobytes())
        print(f"wrote {args.out / name} ({len(data) // 1024} KiB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
