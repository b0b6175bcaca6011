"""A synthetic camera: a person-like subject over a textured room, moving on a deterministic path.

It stands in for a camera in tests, benchmarks and the GUI demo. Everything is a function of (seed, frame index), so
two runs give identical frames, and ``truth_mask()`` is the exact foreground of the frame last read: tests of the
motion gate and of compositing measure against it.
"""

from __future__ import annotations

import cv2
import numpy as np

from studio.capture.pacing import FramePacer

# How far the subject travels per second, as a fraction of the frame width.
MOTION_SPEEDS = {"still": 0.0, "slow": 0.03, "moving": 0.15, "fast": 0.6}
NOISE_VARIANTS = 4  # sensor noise cycles through a few pre-made fields: no random numbers per frame


def _smooth_noise(rng: np.random.Generator, h: int, w: int, cells: int) -> np.ndarray:
    """Values in [0, 1) varying over about ``cells`` blobs across the width (low-frequency texture)."""
    gh, gw = max(2, cells * h // max(w, 1)), max(2, cells)
    grid = rng.random((gh, gw), dtype=np.float32)
    return cv2.resize(grid, (w, h), interpolation=cv2.INTER_CUBIC)


def _background(rng: np.random.Generator, w: int, h: int) -> np.ndarray:
    """A room: a lit wall gradient, blotches, a window, shelves and fine grain; textured everywhere so that a
    moving subject changes pixels wherever it goes (a flat wall would hide motion from a frame-difference gate)."""
    ys = np.linspace(0.0, 1.0, h, dtype=np.float32)[:, None]
    xs = np.linspace(0.0, 1.0, w, dtype=np.float32)[None, :]
    base = np.array(rng.uniform(90, 170, 3), dtype=np.float32)
    light = 0.75 + 0.35 * (1.0 - ys) * (0.6 + 0.4 * xs)
    img = light[..., None] * base[None, None, :]
    img += (_smooth_noise(rng, h, w, 8)[..., None] - 0.5) * 50.0
    img += (_smooth_noise(rng, h, w, 40)[..., None] - 0.5) * 18.0
    img = np.clip(img, 0, 255).astype(np.uint8)
    # A window on the left, shelves with "books" on the right.
    s = h / 720.0
    cv2.rectangle(img, (int(60 * s), int(70 * s)), (int(330 * s), int(330 * s)), (235, 225, 205), -1)
    cv2.rectangle(img, (int(60 * s), int(70 * s)), (int(330 * s), int(330 * s)), (60, 60, 70), max(1, int(8 * s)))
    cv2.line(img, (int(195 * s), int(70 * s)), (int(195 * s), int(330 * s)), (60, 60, 70), max(1, int(6 * s)))
    for row in range(3):
        y = int((180 + row * 150) * s)
        x0, x1 = int(w - 420 * s), int(w - 40 * s)
        cv2.rectangle(img, (x0, y), (x1, y + max(2, int(12 * s))), (40, 70, 110), -1)
        x = x0
        while x < x1 - 10 * s:
            bw = int(rng.integers(12, 34) * s) or 1
            bh = int(rng.integers(60, 110) * s)
            color = tuple(int(c) for c in rng.integers(30, 230, 3))
            cv2.rectangle(img, (x, y - bh), (min(x + bw, x1), y - 1), color, -1)
            x += bw + int(rng.integers(1, 6) * s)
    grain = rng.normal(0.0, 4.0, img.shape).astype(np.float32)
    return np.clip(img.astype(np.float32) + grain, 0, 255).astype(np.uint8)


def _subject(rng: np.random.Generator, h: int) -> tuple[np.ndarray, np.ndarray]:
    """A head-and-shoulders figure (sprite BGR, boolean mask) about 0.85 of the frame height; its torso runs off
    the bottom edge like a person sitting at a webcam."""
    sh, sw = int(0.86 * h), int(0.5 * h)
    mask = np.zeros((sh, sw), np.uint8)
    cx = sw // 2
    head_c, head_ax = (cx, int(0.17 * h)), (int(0.085 * h), int(0.11 * h))
    cv2.ellipse(mask, head_c, head_ax, 0, 0, 360, 255, -1)
    cv2.rectangle(mask, (cx - int(0.04 * h), int(0.25 * h)), (cx + int(0.04 * h), int(0.34 * h)), 255, -1)
    torso_c, torso_ax = (cx, int(0.76 * h)), (int(0.24 * h), int(0.46 * h))
    cv2.ellipse(mask, torso_c, torso_ax, 0, 0, 360, 255, -1)

    yy = np.arange(sh, dtype=np.float32)[:, None]
    xx = np.arange(sw, dtype=np.float32)[None, :]
    skin = np.array([120, 150, 205], np.float32)
    shirt = np.array(rng.uniform(40, 200, 3), np.float32)
    stripes = (np.sin(yy * (2 * np.pi / max(6.0, 0.03 * h))) * 0.5 + 0.5)[..., None]
    shirt_img = shirt * (0.7 + 0.3 * stripes) * np.ones((1, sw, 1), np.float32)
    sprite = np.where((yy < 0.25 * h)[..., None], skin * np.ones((sh, sw, 1), np.float32), shirt_img)
    # Hair on top of the head and shading across the body, so the subject has edges and gradients inside it.
    hair = np.zeros((sh, sw), np.uint8)
    cv2.ellipse(hair, (head_c[0], head_c[1] - int(0.03 * h)), head_ax, 0, 180, 360, 255, -1)
    sprite[hair > 0] = (35, 40, 50)
    sprite *= (0.8 + 0.2 * np.cos((xx - cx) / sw * np.pi))[..., None]
    sprite += rng.normal(0.0, 6.0, sprite.shape).astype(np.float32)
    for eye in (-1, 1):
        cv2.circle(sprite, (cx + eye * int(0.03 * h), int(0.16 * h)), max(1, int(0.008 * h)), (30, 30, 30), -1)
    return np.clip(sprite, 0, 255).astype(np.uint8), mask > 127


class SyntheticSource:
    """``motion``: "still", "slow", "moving" or "fast" (the subject's speed). ``noise``: standard deviation of
    sensor-like noise on the background (0 = frames of a still scene are identical). ``realtime=False`` returns
    frames as fast as they render (tests, benchmarks)."""

    is_live = False

    def __init__(self, width: int = 1280, height: int = 720, fps: float = 30.0, motion: str = "moving",
                 seed: int = 0, *, noise: float = 0.0, realtime: bool = True) -> None:
        if motion not in MOTION_SPEEDS:
            raise ValueError(f"motion must be one of {sorted(MOTION_SPEEDS)}, got {motion!r}")
        if width < 32 or height < 32:
            raise ValueError("synthetic frames need at least 32x32 pixels")
        self.width, self.height, self._fps = int(width), int(height), float(fps)
        self.motion, self.seed, self.noise = motion, seed, float(noise)
        self.name = f"synthetic:{motion}"
        self._pacer = FramePacer(self._fps) if realtime else None
        self._backgrounds: list[np.ndarray] = []
        self._sprite: np.ndarray | None = None
        self._sprite_mask: np.ndarray | None = None
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
            bg = _background(rng, self.width, self.height)
            self._sprite, self._sprite_mask = _subject(rng, self.height)
            self._backgrounds = [bg]
            if self.noise > 0:
                self._backgrounds = [
                    np.clip(bg + rng.normal(0.0, self.noise, bg.shape).astype(np.float32), 0, 255).astype(np.uint8)
                    for _ in range(NOISE_VARIANTS)]
        self.index = 0
        if self._pacer is not None:
            self._pacer.reset()

    def position(self, index: int) -> tuple[int, int]:
        """Top-left corner of the subject in frame ``index``: a back-and-forth walk across the frame with a slight
        bob, at a constant speed along the path."""
        assert self._sprite is not None, "open() first"
        sh, sw = self._sprite.shape[:2]
        x_min, x_max = int(0.05 * self.width), max(int(0.05 * self.width) + 1, int(0.95 * self.width) - sw)
        centre_x = (self.width - sw) // 2
        base_y = self.height - sh
        dist = MOTION_SPEEDS[self.motion] * self.width * index / self._fps
        if dist == 0:
            return centre_x, base_y
        span = x_max - x_min
        # Start in the middle, walking right; the triangle wave turns at both edges.
        u = (dist + (centre_x - x_min)) % (2 * span)
        x = x_min + (u if u <= span else 2 * span - u)
        bob = 0.02 * self.height * (np.sin(dist / (0.08 * self.width)) - 1.0)
        return int(round(x)), int(round(base_y - bob))

    def render(self, index: int) -> np.ndarray:
        """Frame ``index`` as a new array (frames travel by reference, so one is never reused for the next)."""
        assert self._sprite is not None and self._sprite_mask is not None, "open() first"
        image = self._backgrounds[index % len(self._backgrounds)].copy()
        x, y = self.position(index)
        dst, src = self._clip(x, y)
        if dst is not None:
            np.copyto(image[dst], self._sprite[src], where=self._sprite_mask[src][..., None])
        return image

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
        """HxW float32, 1 on the subject and 0 elsewhere, for frame ``index`` (default: the frame last read)."""
        if index is None:
            if self._last_pos is None:
                raise RuntimeError("no frame has been read yet")
            x, y = self._last_pos
        else:
            x, y = self.position(index)
        mask = np.zeros((self.height, self.width), np.float32)
        dst, src = self._clip(x, y)
        if dst is not None:
            mask[dst] = self._sprite_mask[src]
        return mask

    def close(self) -> None:
        # Keep the rendered scene: reopening (a swap back, a retry) is then instant.
        pass


def demo_source(width: int = 1280, height: int = 720, fps: float = 30.0) -> SyntheticSource:
    """What the GUI shows when there is no camera: a moving subject with a little sensor noise."""
    return SyntheticSource(width, height, fps, motion="moving", seed=0, noise=2.0)
