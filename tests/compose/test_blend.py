"""Compositor and still helpers: exact at alpha 0 and 1, BGRA when transparent, mirror, no per-frame allocation."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest

from studio.compose.backgrounds import BlurBackground
from studio.compose.blend import Compositor, over_color, over_image, to_bgra, to_rgba
from studio.compose.refine import MaskRefiner
from studio.config.settings import RefineSettings


@pytest.fixture
def scene():
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (72, 128, 3), np.uint8)
    bg = rng.integers(0, 256, (72, 128, 3), np.uint8)
    alpha = np.zeros((72, 128), np.float32)
    alpha[:, :40] = 1.0
    alpha[:, 40:60] = 0.5
    return frame, bg, alpha


def test_composite_over_background(scene):
    frame, bg, alpha = scene
    out = Compositor().composite(frame, alpha, bg)
    assert out.dtype == np.uint8 and out.shape == frame.shape
    assert np.array_equal(out[:, :40], frame[:, :40])
    assert np.array_equal(out[:, 60:], bg[:, 60:])
    mid = (frame[:, 40:60].astype(np.float32) + bg[:, 40:60]) / 2
    assert np.abs(out[:, 40:60] - mid).max() <= 1.0


def test_transparent_gives_bgra_and_mirror(scene):
    frame, bg, alpha = scene
    c = Compositor()
    out = c.composite(frame, alpha, None)
    assert out.shape == (72, 128, 4)
    assert np.array_equal(out[:, :, :3], frame)
    assert set(np.unique(out[:, :, 3])) == {0, 128, 255}
    mirrored = c.composite(frame, alpha, bg, mirror=True)
    assert np.array_equal(mirrored[:, ::-1], Compositor().composite(frame, alpha, bg))


def test_alpha_of_another_size_is_resized(scene):
    frame, bg, _ = scene
    out = Compositor().composite(frame, np.ones((36, 64), np.float32), bg)
    assert np.array_equal(out, frame)


def test_per_frame_path_allocates_nothing_after_warm_up():
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (360, 640, 3), np.uint8)
    small = rng.random((256, 256), np.float32)
    refiner, comp, bg = MaskRefiner(RefineSettings(feather=2)), Compositor(), BlurBackground(21)
    for i in range(3):
        comp.composite(frame, refiner.refine(small, frame), bg.render(frame), mirror=True)
    tracemalloc.start()
    try:
        base, _ = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        for i in range(10):
            comp.composite(frame, refiner.refine(small, frame, new_mask=i % 2 == 0), bg.render(frame), mirror=True)
        comp.composite(frame, refiner.refine(small, frame), None)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # A 640x360 float mask is 920 kB; even a per-frame cast buffer (32 kB) shows up over this bound.
    assert peak - base < 8 * 1024, peak - base


def test_still_helpers(scene):
    frame, bg, alpha = scene
    rgba = to_rgba(frame, alpha)
    assert rgba.shape == (72, 128, 4)
    seen = rgba[:, :, 3] > 0
    assert np.array_equal(rgba[:, :, :3][seen], frame[:, :, ::-1][seen])
    assert rgba[0, 0, 3] == 255 and rgba[0, 100, 3] == 0
    # Fully transparent pixels carry no colour of the room they were cut from; kept only when asked
    assert seen.any() and not seen.all() and not rgba[~seen].any()
    kept = to_rgba(frame, alpha, clear_hidden=False)
    assert np.array_equal(kept[:, :, :3], frame[:, :, ::-1])
    bgra = to_bgra(frame, alpha)
    assert np.array_equal(bgra[:, :, [2, 1, 0, 3]], rgba)
    white = over_color(frame, alpha, (255, 255, 255))
    assert np.array_equal(white[:, :40], frame[:, :40]) and (white[:, 60:] == 255).all()
    wide = np.zeros((10, 400, 3), np.uint8)
    assert over_image(frame, (alpha * 255).astype(np.uint8), wide).shape == frame.shape
