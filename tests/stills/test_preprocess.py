"""Flicker removal and white balance, measured on real photos with injected banding and colour casts."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from studio.stills.preprocess import (PreprocessError, estimate_flicker, parse_roi, remove_flicker, white_balance,
                                      white_balance_gains)


def _banded(img, period, amplitude, phase=1.0):
    y = np.arange(img.shape[0])
    # Rectified-sine lights are not pure sines: add a second harmonic.
    g = 1 + amplitude * np.sin(2 * np.pi * y / period + phase) + 0.3 * amplitude * np.sin(4 * np.pi * y / period)
    return np.clip(img * g[:, None, None], 0, 255).astype(np.uint8)


def _err(a, b):
    return float(np.abs(a.astype(np.float32) - b).mean())


@pytest.mark.parametrize("name,period,amplitude", [
    ("davis/dance-twirl/img/00000.jpg", 24, 0.10),
    ("davis/dance-twirl/img/00045.jpg", 40, 0.08),
    ("portraits/img/100.jpg", 80, 0.05),
    ("portraits/img/100.jpg", 132, 0.10),
])
def test_flicker_is_found_and_removed(shared_data, name, period, amplitude):
    clean = cv2.imread(str(shared_data / name))
    banded = _banded(clean, period, amplitude)
    fixed, est = remove_flicker(banded)
    assert est.detected
    assert est.period_rows == pytest.approx(period, rel=0.03)
    before, after = _err(banded, clean), _err(fixed, clean)
    # Measured: the error falls to 12-20 % of what the banding added.
    assert after < 0.3 * before, (before, after)


def test_clean_photos_are_left_alone(shared_data):
    files = sorted((shared_data / "portraits" / "img").glob("*.jpg"))[::4]
    files += sorted((shared_data / "davis" / "dance-twirl" / "img").glob("*.jpg"))[::15]
    assert len(files) > 25
    for f in files:
        img = cv2.imread(str(f))
        out, est = remove_flicker(img)
        assert not est.detected, (f.name, est)
        assert out is img


def test_flicker_on_tiny_or_flat_images_is_a_no_op():
    flat = np.full((30, 30, 3), 128, np.uint8)
    assert not estimate_flicker(flat).detected
    assert not estimate_flicker(np.full((400, 600, 3), 90, np.uint8)).detected


def _with_grey_card(img):
    out = img.copy()
    out[20:80, 20:100] = (128, 128, 128)  # a neutral card in the corner
    return out


def test_white_balance_on_a_grey_card_removes_a_cast(shared_data):
    clean = _with_grey_card(cv2.imread(str(shared_data / "portraits" / "img" / "100.jpg")))
    # Warm light (BGR gains), all <= 1 so nothing clips: what is lost to clipping no balance can bring back.
    cast = np.clip(clean * np.array([0.7, 1.0, 0.9]), 0, 255).astype(np.uint8)
    for method in ("grey-world", "white-patch"):
        fixed = white_balance(cast, roi=(25, 25, 70, 50), method=method)
        before, after = _err(cast, clean), _err(fixed, clean)
        assert after < 0.2 * before, (method, before, after)


def test_grey_world_on_the_whole_image():
    rng = np.random.default_rng(0)
    scene = rng.integers(40, 210, (120, 160, 3)).astype(np.uint8)  # colourful, grey on average
    cast = np.clip(scene * np.array([1.2, 1.0, 0.8]), 0, 255).astype(np.uint8)
    gains = white_balance_gains(cast)
    assert gains == pytest.approx([1 / 1.2, 1.0, 1 / 0.8], rel=0.03)
    assert _err(white_balance(cast), scene) < 0.3 * _err(cast, scene)


def test_bad_regions():
    assert parse_roi("1,2,30,40") == (1, 2, 30, 40)
    for bad in ("1,2,3", "a,b,c,d", "0,0,0,10", "-1,0,5,5"):
        with pytest.raises(PreprocessError):
            parse_roi(bad)
    img = np.full((50, 50, 3), 100, np.uint8)
    with pytest.raises(PreprocessError):
        white_balance(img, roi=(60, 60, 10, 10))
    with pytest.raises(PreprocessError):
        white_balance(np.zeros((50, 50, 3), np.uint8), roi=(0, 0, 10, 10))  # all black: nothing to measure
