"""The synthetic frame's composition (studio.capture.scenes.stamp) against the straightforward one: a copy of the
background with the sprite alpha-blended over it in float, rounded. The fast path (opaque pixels by cv2.copyTo, the
edge by row slices and flat offsets) must give the same picture within one grey level wherever the sprite stands:
inside, cut at any side, or out of the frame. installers/check_synthetic_same.py checks that the pixels are those of
the version before the fast path, exactly."""

from __future__ import annotations

import numpy as np
import pytest

from studio.capture.scenes.stamp import Stamp
from studio.capture.synthetic import SyntheticSource


def reference(background: np.ndarray, sprite: np.ndarray, alpha: np.ndarray, x: int, y: int) -> np.ndarray:
    """The sprite over the background at (x, y), by the book: a frame-sized alpha and colour, one blend."""
    height, width = background.shape[:2]
    a = np.zeros((height, width, 1))
    colour = np.zeros(background.shape)
    sh, sw = alpha.shape
    fx0, fy0, fx1, fy1 = max(0, x), max(0, y), min(width, x + sw), min(height, y + sh)
    if fx0 < fx1 and fy0 < fy1:
        a[fy0:fy1, fx0:fx1, 0] = alpha[fy0 - y:fy1 - y, fx0 - x:fx1 - x]
        colour[fy0:fy1, fx0:fx1] = sprite[fy0 - y:fy1 - y, fx0 - x:fx1 - x]
    return np.round(background * (1.0 - a) + colour * a).astype(np.uint8)


def soft_sprite(rng: np.random.Generator, h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """A disc with a wide soft edge and a hole: opaque, fractional and empty pixels, rows of several runs."""
    yy, xx = np.mgrid[:h, :w]
    r = np.hypot((yy - h / 2) / (h / 2), (xx - w / 2) / (w / 2))
    alpha = np.clip((1.0 - r) * 4.0, 0.0, 1.0).astype(np.float32)
    alpha[h // 3:h // 2, w // 3:w // 2] = 0.0
    return rng.integers(0, 256, (h, w, 3), dtype=np.uint8), alpha


# Inside, cut at the top, bottom, left, right and a corner, and wholly outside.
POSITIONS = [(40, 20), (40, -13), (40, 150), (-17, 30), (250, 30), (-9, 160), (400, 10), (20, -200)]


@pytest.mark.parametrize("x, y", POSITIONS)
def test_the_stamp_is_the_plain_alpha_blend_wherever_the_sprite_stands(x, y):
    rng = np.random.default_rng(5)
    sprite, alpha = soft_sprite(rng, 120, 90)
    background = rng.integers(0, 256, (200, 300, 3), dtype=np.uint8)
    kept = background.copy()
    got = Stamp(sprite, alpha, 300).onto(background, x, y)
    assert np.abs(got.astype(np.int16) - reference(background, sprite, alpha, x, y)).max() <= 1
    # a new frame; the background is left as it was
    assert not np.shares_memory(got, background)
    assert np.array_equal(background, kept)


@pytest.mark.parametrize("motion, cut", [("still", False), ("moving", True)])
def test_a_synthetic_frame_is_the_plain_alpha_blend_of_its_subject(motion, cut):
    src = SyntheticSource(640, 360, motion=motion, noise=2.0, realtime=False)
    src.open()
    sh, sw = src._sprite.shape[:2]
    # the first frame whose figure is wholly inside (still) or has its feet below the bottom edge (moving: the bob)
    index = next(i for i in range(200) if (src.position(i)[1] + sh > src.height) == cut)
    x, y = src.position(index)
    assert (x >= 0 and y >= 0 and x + sw <= src.width and y + sh <= src.height) != cut
    background = src._backgrounds[index % len(src._backgrounds)]
    got = src.render(index)
    assert np.abs(got.astype(np.int16) - reference(background, src._sprite, src._alpha, x, y)).max() <= 1
    # a new array for every frame, never a reused one
    assert not np.shares_memory(got, src.render(index))
