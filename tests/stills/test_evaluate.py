"""The metrics themselves, on masks whose answers are known."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from studio.core.errors import StudioError
from studio.stills.evaluate import boundary_f, iou, pair_files, read_mask


def _disc(shift=0, r=30, size=(100, 120)):
    m = np.zeros(size, np.uint8)
    cv2.circle(m, (60 + shift, 50), r, 1, -1)
    return m.astype(bool)


def test_iou():
    a = np.zeros((10, 10), bool)
    b = a.copy()
    assert iou(a, b) == 1.0
    a[:, :5] = True
    b[:, :5] = True
    b[:, 5:] = False
    assert iou(a, b) == 1.0
    b[:, :] = False
    b[:, 2:7] = True
    assert iou(a, b) == pytest.approx(3 / 7)


def test_boundary_f_tolerance():
    truth = _disc()
    assert boundary_f(truth, truth) == 1.0
    assert boundary_f(_disc(shift=2), truth) == pytest.approx(1.0, abs=0.02)  # within the 2 px tolerance
    assert boundary_f(_disc(shift=10), truth) < 0.4
    assert boundary_f(np.zeros_like(truth), truth) == 0.0
    assert boundary_f(np.zeros_like(truth), np.zeros_like(truth)) == 1.0


def test_masks_of_another_size_are_resized_nearest(tmp_path):
    m = np.zeros((50, 60), np.uint8)
    m[:, 30:] = 255
    cv2.imwrite(str(tmp_path / "1.png"), m)
    big = read_mask(tmp_path / "1.png", (120, 100))
    assert big.shape == (100, 120) and big[:, 60:].all() and not big[:, :60].any()


def test_pairing(tmp_path):
    (tmp_path / "img").mkdir()
    (tmp_path / "mask").mkdir()
    for n in ("1.jpg", "2.jpg", "10.jpg"):
        (tmp_path / "img" / n).write_bytes(b"x")
    for n in ("1.png", "10.png"):
        (tmp_path / "mask" / n).write_bytes(b"x")
    pairs, unpaired = pair_files(tmp_path / "img", tmp_path / "mask")
    assert [(a.name, b.name) for a, b in pairs] == [("1.jpg", "1.png"), ("10.jpg", "10.png")]
    assert unpaired == ["2.jpg"]
    with pytest.raises(StudioError):
        pair_files(tmp_path / "img", tmp_path / "nothing")
