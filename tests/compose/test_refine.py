"""MaskRefiner: guided upsampling beats bilinear on real soft mattes; temporal smoothing; threshold and feather."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from studio.compose.refine import FLUSH_BELOW, MaskRefiner, refine_still, working_size
from studio.config.settings import RefineSettings, SettingsError


def _matting_pairs(root, limit=None):
    files = sorted((root / "matting" / "img").glob("*.png"))[:limit]
    for f in files:
        img = cv2.imread(str(f))
        alpha = cv2.imread(str(root / "matting" / "alpha" / f.name), cv2.IMREAD_GRAYSCALE)
        yield img, alpha.astype(np.float32) / 255.0


def _downscale(alpha, side):
    h, w = alpha.shape
    s = side / max(h, w)
    return cv2.resize(alpha, (round(w * s), round(h * s)), interpolation=cv2.INTER_AREA)


@pytest.mark.parametrize("side", [256, 64])
def test_guided_refinement_beats_bilinear_on_matting_crops(shared_data, side):
    sad_bil = sad_gf = mse_bil = mse_gf = 0.0
    n = 0
    for img, alpha in _matting_pairs(shared_data):
        small = _downscale(alpha, side)
        h, w = alpha.shape
        bilinear = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
        guided = refine_still(small, img, RefineSettings(guided=True))
        assert guided.shape == alpha.shape and guided.dtype == np.float32
        sad_bil += np.abs(bilinear - alpha).sum()
        sad_gf += np.abs(guided - alpha).sum()
        mse_bil += ((bilinear - alpha) ** 2).mean()
        mse_gf += ((guided - alpha) ** 2).mean()
        n += 1
    assert n > 50
    # Measured: 256 px SAD 1.20k -> 0.92k, MSE 1.28e-3 -> 1.05e-3; 64 px SAD 3.34k -> 2.12k, MSE 6.8e-3 -> 3.8e-3.
    assert sad_gf < 0.9 * sad_bil, (sad_gf / n, sad_bil / n)
    assert mse_gf < 0.9 * mse_bil, (mse_gf / n, mse_bil / n)


def test_unguided_is_plain_bilinear():
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (90, 160, 3), np.uint8)
    small = rng.random((45, 80), np.float32)
    out = MaskRefiner(RefineSettings(guided=False, smoothing=0)).refine(small, frame)
    flushed = np.where(small < FLUSH_BELOW, 0, small)  # values a model leaves near 0 are 0 (no denormals)
    expected = cv2.resize(flushed, (160, 90), interpolation=cv2.INTER_LINEAR)
    np.testing.assert_allclose(out, expected, atol=1e-6)


def test_a_models_near_zero_values_leave_no_denormal_floats():
    """A sigmoid's background values near 1e-38 made denormal floats in the guided filter (50x slower arithmetic)."""
    frame = np.random.default_rng(1).integers(0, 256, (90, 160, 3), np.uint8)
    small = np.full((45, 80), 1.7e-38, np.float32)
    small[10:30, 20:60] = 1.0
    refiner = MaskRefiner(RefineSettings(smoothing=0.8))
    for i in range(5):
        out = refiner.refine(small * (0.5 if i % 2 else 1.0), frame)
    tiny = np.finfo(np.float32).tiny
    for plane in (out, *refiner.coefficients):
        assert not ((np.abs(plane) < tiny) & (plane != 0)).any()


def test_edges_follow_the_frame_when_the_mask_is_reused():
    # A bright square on dark ground moves right; the mask (made for the first frame) is reused.
    def frame_at(x):
        f = np.full((240, 320, 3), 30, np.uint8)
        f[60:180, x:x + 100] = 220
        return f

    mask = np.zeros((240, 320), np.float32)
    mask[60:180, 100:200] = 1.0
    small = cv2.resize(mask, (80, 60), interpolation=cv2.INTER_AREA)
    r = MaskRefiner(RefineSettings(smoothing=0.5))
    a0 = r.refine(small, frame_at(100)).copy()
    a1 = r.refine(small, frame_at(104), new_mask=False).copy()
    # The re-guided edge moved with the picture: at the old left edge alpha fell, past the old right edge it rose.
    assert a1[120, 101] < a0[120, 101] - 0.1
    assert a1[120, 202] > a0[120, 202] + 0.1


def test_temporal_smoothing_advances_only_on_new_masks():
    frame = np.full((64, 64, 3), 128, np.uint8)  # flat guide: guided output == smoothed mask
    hi, lo = np.full((32, 32), 0.6, np.float32), np.full((32, 32), 0.4, np.float32)
    r = MaskRefiner(RefineSettings(smoothing=0.5))
    assert r.refine(hi, frame).mean() == pytest.approx(0.6, abs=1e-3)
    w = 0.5 * (1 - 0.2)  # the past's weight falls with the change (0.2 here)
    first = 0.4 + w * 0.2
    assert r.refine(lo, frame).mean() == pytest.approx(first, abs=1e-3)
    assert r.refine(lo, frame, new_mask=False).mean() == pytest.approx(first, abs=1e-3)
    d = first - 0.4
    assert r.refine(lo, frame).mean() == pytest.approx(0.4 + 0.5 * (1 - d) * d, abs=1e-3)
    r.reset()
    assert r.refine(lo, frame).mean() == pytest.approx(0.4, abs=1e-3)
    r.update_settings(RefineSettings(smoothing=0.0))
    assert r.refine(hi, frame).mean() == pytest.approx(0.6, abs=1e-3)


def test_smoothing_averages_shimmer_and_lets_a_real_change_through():
    frame = np.full((64, 64, 3), 128, np.uint8)
    ones, zeros = np.ones((32, 32), np.float32), np.zeros((32, 32), np.float32)
    r = MaskRefiner(RefineSettings(smoothing=0.8))
    r.refine(ones, frame)
    assert r.refine(zeros, frame).mean() == pytest.approx(0.0, abs=1e-3)  # a full flip: the subject moved
    r.reset()
    r.refine(ones, frame)
    shimmer = r.refine(np.full((32, 32), 0.9, np.float32), frame).mean()
    assert shimmer == pytest.approx(0.9 + 0.8 * 0.9 * 0.1, abs=1e-3)  # mostly the past


def test_smoothing_scale_lets_a_moving_subject_through_without_lag():
    frame = np.full((64, 64, 3), 128, np.uint8)
    hi, lo = np.full((32, 32), 0.75, np.float32), np.full((32, 32), 0.25, np.float32)
    r = MaskRefiner(RefineSettings(smoothing=0.8))
    r.refine(hi, frame)
    k = 0.8 * 0.5  # scaled by the motion tier
    assert r.refine(lo, frame, smoothing_scale=0.5).mean() == pytest.approx(0.25 + k * 0.5 * 0.5, abs=1e-3)
    assert r.refine(hi, frame, smoothing_scale=0.0).mean() == pytest.approx(0.75, abs=1e-3)  # fast: the new mask


def test_output_smoothing_falls_with_motion():
    from studio.control.compose_inputs import SMOOTHING_BY_TIER

    assert SMOOTHING_BY_TIER["static"] > SMOOTHING_BY_TIER["moderate"] > SMOOTHING_BY_TIER["fast"] == 0.0


def test_threshold_and_feather():
    frame = np.full((100, 100, 3), 128, np.uint8)
    mask = np.zeros((100, 100), np.float32)
    mask[:, 50:] = 0.7
    hard = MaskRefiner(RefineSettings(smoothing=0, threshold=0.5)).refine(mask, frame)
    assert set(np.unique(hard)) == {0.0, 1.0}
    soft = MaskRefiner(RefineSettings(smoothing=0, threshold=0.5, feather=4)).refine(mask, frame)
    row = soft[50]
    assert row[10] == 0.0 and row[90] == 1.0
    assert 0.2 < row[50] < 0.8  # the cut got a soft ramp
    assert ((row > 0.02) & (row < 0.98)).sum() >= 4


def test_edge_setting_moves_the_soft_edge_by_whole_pixels():
    frame = np.full((120, 120, 3), 128, np.uint8)
    yy, xx = np.mgrid[0:120, 0:120]
    disc = np.clip(30.5 - np.hypot(yy - 60, xx - 60), 0, 1).astype(np.float32)  # radius ~30 px, 1 px soft edge
    area = {e: float(MaskRefiner(RefineSettings(smoothing=0, guided=False, edge_px=e)).refine(disc, frame).sum())
            for e in (-3, 0, 3)}
    # a disc grown or shrunk by 3 px: area pi (30 +- 3)^2, within a pixel ring
    assert abs(area[3] - np.pi * 33 ** 2) < 2 * np.pi * 33 and abs(area[-3] - np.pi * 27 ** 2) < 2 * np.pi * 27
    out = MaskRefiner(RefineSettings(smoothing=0, guided=False, edge_px=-3)).refine(disc, frame)
    assert ((out > 0.02) & (out < 0.98)).any()  # still a soft edge, not a hard cut
    with pytest.raises(SettingsError):
        RefineSettings(edge_px=9).validate()


def test_buffers_are_reused_and_sizes_can_change():
    rng = np.random.default_rng(1)
    r = MaskRefiner(RefineSettings())
    f = rng.integers(0, 256, (72, 128, 3), np.uint8)
    a = r.refine(rng.random((64, 64), np.float32), f)
    b = r.refine(rng.random((64, 64), np.float32), f)
    assert a is b  # same buffer
    c = r.refine(rng.random((36, 64), np.float32), f)  # adaptive resolution changed the mask size
    assert c.shape == (72, 128) and 0.0 <= c.min() and c.max() <= 1.0
    d = r.refine(rng.random((36, 64), np.float32), rng.integers(0, 256, (144, 256, 3), np.uint8))
    assert d.shape == (144, 256)


def test_working_size_and_bad_settings():
    assert working_size(1280, 720, 256, 256) == (455, 256)
    assert working_size(100, 100, 256, 256) == (100, 100)  # never upscales the guide
    with pytest.raises(SettingsError):
        MaskRefiner(RefineSettings(smoothing=1.5))


def test_a_non_finite_mask_never_enters_the_smoothing_state():
    """Issue 8: three NaN masks on a still subject left the output black for 16 s (the NaN stayed in the average)."""
    frame = np.full((90, 160, 3), 128, np.uint8)
    good = np.zeros((45, 80), np.float32)
    good[10:35, 20:60] = 1.0
    r = MaskRefiner(RefineSettings(guided=True, smoothing=0.9))
    before = r.refine(good, frame).copy()
    for bad in (np.full_like(good, np.nan), np.full_like(good, np.inf), np.where(good > 0, np.nan, 0.0)):
        out = r.refine(bad.astype(np.float32), frame, new_mask=True)
        assert np.isfinite(out).all()
        np.testing.assert_allclose(out, before, atol=1e-5)  # the history is kept, as for a reused mask
    np.testing.assert_allclose(r.refine(good, frame), before, atol=1e-5)
    # a first mask that is NaN shows nothing of the subject, and the next good mask takes over at once
    fresh = MaskRefiner(RefineSettings(guided=False, smoothing=0.5))
    assert np.isfinite(fresh.refine(np.full_like(good, np.nan), frame)).all()
    assert fresh.refine(good, frame).max() > 0.4
