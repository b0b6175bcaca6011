"""A synthetic camera for tests, benchmarks and the demo: a person in a room, or a product on a tabletop.

"person" (the GUI demo) walks on a deterministic path; "product" (the kiosk demo), a bottle, turns on the spot. What
is drawn lives in studio.capture.scenes; this module is the Source: opening (drawing the scene once), pacing, the
motion, and the ground truth. A drawn person scene is kept on disk (studio.capture.scenes.cache), so the demo draws
it once per size and drawing code, not once per start.

Everything is a function of (seed, frame index), so two runs give identical frames, and ``truth_mask()`` is the exact
alpha of the subject in the frame last read: tests of the motion gate, of compositing and of the models measure
against it. Nothing in the product path may use it. The static parts are drawn once in ``open()``; a frame costs a
copy of the background, one masked copy of the subject and a blend of its soft edge (studio.capture.scenes.stamp:
about 0.5 ms at 1280x720, 1 ms at 1920x1080, 5 ms at 3840x2160, most of it the copy).
"""

from __future__ import annotations

import cv2
import numpy as np

from studio.capture.pacing import FramePacer
from studio.capture.scenes import cache as scene_cache
from studio.capture.scenes import person, product
from studio.capture.scenes.drawing import SUPERSAMPLE
from studio.capture.scenes.stamp import Stamp

__all__ = ["DEMO_MOTION", "MOTION_SPEEDS", "NOISE_VARIANTS", "SCENES", "SUPERSAMPLE", "SyntheticSource",
           "demo_source", "product_demo_source"]

# How far the subject travels per second, as a fraction of the frame width (the product scene turns instead).
MOTION_SPEEDS = {"still": 0.0, "slow": 0.03, "moving": 0.15, "fast": 0.6}
SCENES = ("person", "product")
# The GUI demo's motion: the live pipeline's masks trail a subject that walks ("moving") by a few frames, which shows as
# a halo on the trailing edge; someone at a webcam sways and drifts, which "slow" is.
DEMO_MOTION = "slow"
DRAW_MAX_HEIGHT = 1080  # larger person scenes are drawn at this height and scaled up (see _person_scene)
NOISE_VARIANTS = 4  # sensor noise cycles through a few pre-made fields: no random numbers per frame
_TURN_RATE = 12.0  # product scene: radians per second per unit of MOTION_SPEEDS ("slow": a turn in 17 s)
_STRIDE_S = 1.2  # person scene: seconds per step
_STRIDE_EASE = 0.12  # by how much (frame widths per second, at most 90 %) the walk slows down once per step
# The easing over one step: a narrow dip (cos^32, about 0.15 s wide) and its running integral (in steps).
_STRIDE_PHASE = np.linspace(0.0, 1.0, 257)
_STRIDE_TABLE = np.concatenate([[0.0], np.cumsum(
    0.5 * (np.cos(np.pi * _STRIDE_PHASE[1:]) ** 32 + np.cos(np.pi * _STRIDE_PHASE[:-1]) ** 32) / 256)])


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
        self._stamp: Stamp | None = None  # the subject, ready to be put onto a copy of the background
        self._label: product.TurningLabel | None = None  # product scene: drawn per frame, as it turns
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
            kept = scene_cache.scene_path(self.width, self.height, self.seed, self.noise) \
                if self.scene == "person" else None
            drawn = scene_cache.load(kept)
            if drawn is None:
                drawn = self._draw()
                scene_cache.save(kept, drawn)
            self._set_sprite(drawn["sprite"], drawn["alpha"])
            self._backgrounds = list(drawn["backgrounds"])
        self.index = 0
        if self._pacer is not None:
            self._pacer.reset()

    def _draw(self) -> dict[str, np.ndarray]:
        """The static parts: the subject (sprite, alpha) and the background, one per noise field."""
        rng = np.random.default_rng(self.seed)
        if self.scene == "person":
            bg, sprite, alpha = _person_scene(rng, self.width, self.height)
        else:
            bg, sprite, alpha, self._label = product.build(rng, self.width, self.height)
        backgrounds = [bg]
        if self.noise > 0:
            # float32 draws: float64 normals took 0.3 s of the demo's start
            backgrounds = [
                np.clip(bg + rng.standard_normal(bg.shape, dtype=np.float32) * np.float32(self.noise), 0,
                        255).astype(np.uint8)
                for _ in range(NOISE_VARIANTS)]
        return {"sprite": sprite, "alpha": alpha, "backgrounds": np.stack(backgrounds)}

    def _set_sprite(self, sprite: np.ndarray, alpha: np.ndarray) -> None:
        self._sprite, self._alpha = sprite, alpha
        self._stamp = Stamp(sprite, alpha, self.width)

    def position(self, index: int, sprite_shape: tuple[int, int] | None = None) -> tuple[int, int]:
        """Top-left corner of the subject in frame ``index``. Person: a back-and-forth walk across the frame with a
        slight bob, at a constant speed along the path. Product: standing still in the middle (it turns instead)."""
        if sprite_shape is None:
            assert self._sprite is not None, "open() first"
            sprite_shape = self._sprite.shape[:2]
        sh, sw = sprite_shape
        if self.scene == "product":
            return product.standing_spot(self.width, self.height, (sh, sw))
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
        return self._render(index, self.position(index))

    def _render(self, index: int, corner: tuple[int, int]) -> np.ndarray:
        assert self._stamp is not None, "open() first"
        x, y = corner
        image = self._stamp.onto(self._backgrounds[index % len(self._backgrounds)], x, y)
        if self._label is not None:
            turn = MOTION_SPEEDS[self.motion] * _TURN_RATE * index / self._fps  # radians
            product.paint_label(image, self._label, turn, x, y)
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
        corner = self.position(self.index)
        image = self._render(self.index, corner)
        self._last_pos = corner
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


def _person_scene(rng: np.random.Generator, w: int, h: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The room and the figure for a w x h frame. Above DRAW_MAX_HEIGHT they are drawn at that height and scaled up:
    drawing at 4K (a supersampled 8K canvas) took 16 s, which a benchmark's source must not cost; a room out of
    focus and a figure with soft edges lose nothing a model or a viewer sees."""
    if h <= DRAW_MAX_HEIGHT:
        return person.room(rng, w, h), *person.figure(rng, h)
    s = DRAW_MAX_HEIGHT / h
    bg = cv2.resize(person.room(rng, max(32, round(w * s)), DRAW_MAX_HEIGHT), (w, h), interpolation=cv2.INTER_LINEAR)
    sprite, alpha = person.figure(rng, DRAW_MAX_HEIGHT)
    size = (round(sprite.shape[1] / s), round(sprite.shape[0] / s))
    sprite = cv2.resize(sprite, size, interpolation=cv2.INTER_LINEAR)
    alpha = np.clip(cv2.resize(alpha, size, interpolation=cv2.INTER_LINEAR), 0.0, 1.0)
    alpha[alpha < 1.0 / 255] = 0.0
    return bg, sprite, alpha


def demo_source(width: int = 1280, height: int = 720, fps: float = 30.0) -> SyntheticSource:
    """What the GUI shows when there is no camera: a person drifting slowly through a room, as someone at a webcam
    does (DEMO_MOTION), with a little sensor noise."""
    return SyntheticSource(width, height, fps, motion=DEMO_MOTION, seed=0, noise=2.0)


def product_demo_source(width: int = 1280, height: int = 720, fps: float = 30.0,
                        motion: str = DEMO_MOTION) -> SyntheticSource:
    """What the kiosk shows when there is no camera: a bottle turning on a tabletop, with a little sensor noise."""
    return SyntheticSource(width, height, fps, motion=motion, seed=0, noise=2.0, scene="product")
