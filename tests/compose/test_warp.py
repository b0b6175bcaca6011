"""MaskWarper: a mask made on an earlier frame follows the picture's motion (synthetic shifted square)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from studio.compose.warp import MaskWarper

SMALL = (90, 160)  # the motion gate's small grey for a 16:9 frame
MASK = (144, 256)  # a model-size mask, finer than the grey


def _texture() -> np.ndarray:
    # A textured wall: flow needs something to lock onto outside the square too (a flat wall has no motion to see).
    rng = np.random.default_rng(7)
    return cv2.GaussianBlur((rng.random(SMALL) * 255).astype(np.uint8), (5, 5), 0)


def _scene(wall: np.ndarray, dx: int, dy: int) -> tuple[np.ndarray, np.ndarray]:
    """The grey picture with a bright square at (50 + dx, 30 + dy) and its mask at the model's size."""
    square = np.zeros(SMALL, bool)
    square[30 + dy:60 + dy, 50 + dx:90 + dx] = True
    grey = wall.copy()
    grey[square] = np.clip(grey[square].astype(int) + 100, 0, 255).astype(np.uint8)
    mask = cv2.resize(square.astype(np.float32), MASK[::-1], interpolation=cv2.INTER_LINEAR)
    return grey, mask


def _iou(a: np.ndarray, b: np.ndarray) -> float:
    a, b = a >= 0.5, b >= 0.5
    return np.count_nonzero(a & b) / np.count_nonzero(a | b)


@pytest.mark.parametrize("dx,dy", [(6, 3), (-4, 0), (0, -5)])
def test_a_shifted_square_is_moved_with_the_picture(dx, dy):
    wall = _texture()
    grey0, mask0 = _scene(wall, 0, 0)
    grey1, mask1 = _scene(wall, dx, dy)
    warper = MaskWarper()
    warper.remember(10, grey0)
    warper.remember(11, grey1)
    moved = warper.warp(mask0, 10, 11)
    assert moved is not None and moved.shape == MASK and moved.dtype == np.float32
    assert _iou(moved, mask1) > 0.9 > _iou(mask0, mask1)
    # the square's centre moved by the shift, in mask pixels (the mask is 1.6x the grey)
    ys, xs = np.nonzero(moved >= 0.5)
    ys1, xs1 = np.nonzero(mask1 >= 0.5)
    assert abs(xs.mean() - xs1.mean()) < 1.6 * 1.5 and abs(ys.mean() - ys1.mean()) < 1.6 * 1.5


def test_nothing_to_do_is_none():
    wall = _texture()
    grey, mask = _scene(wall, 0, 0)
    warper = MaskWarper()
    warper.remember(1, grey)
    assert warper.warp(mask, 1, 1) is None  # the mask's own frame
    assert warper.warp(mask, 0, 1) is None  # a frame never seen
    warper.remember(2, grey.copy())
    assert warper.warp(mask, 1, 2) is None  # a still picture: the mask is used as it is
    assert warper.last_motion_px < 0.05


def test_history_is_bounded_and_a_new_size_starts_afresh():
    wall = _texture()
    warper = MaskWarper(history=3)
    for i in range(5):
        warper.remember(i, wall)
    assert [warper.has(i) for i in range(5)] == [False, False, True, True, True]
    warper.remember(5, cv2.resize(wall, (80, 45)))
    assert not warper.has(4) and warper.has(5)
    warper.reset()
    assert not warper.has(5)
