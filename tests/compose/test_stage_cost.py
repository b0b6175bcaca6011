"""The live compose path at reduced size: the refiner's detail cap, blending by tiles, the halo-free blur from a
capped alpha. Results are compared with the full-size computation they replace (no timings: the box is shared)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from studio.compose.backgrounds import BlurBackground, ColorBackground, TransparentBackground
from studio.compose.base import render_for_compositor
from studio.compose.blend import Compositor
from studio.compose.refine import LIVE_DETAIL_CAP, LIVE_GUIDED_CAP, MaskRefiner, detail_factor, guided_factor
from studio.compose.tiles import TileBlend, full_alpha, tile_side
from studio.config.settings import RefineSettings


def _soft_disc(w: int, h: int) -> np.ndarray:
    a = np.zeros((h, w), np.float32)
    cv2.circle(a, (w // 2, h // 2), h // 3, 1.0, -1)
    a = cv2.GaussianBlur(a, (5, 5), 0)
    a[0, :3] = 0.3  # an edge on the border too
    return a


@pytest.mark.parametrize("k", [1, 2, 3, 4])
def test_tiles_make_what_resize_and_blend_make(k):
    rng = np.random.default_rng(k)
    w, h = 240 * k, 160 * k
    frame = rng.integers(0, 256, (h, w, 3), np.uint8)
    bg = rng.integers(0, 256, (h, w, 3), np.uint8)
    alpha = _soft_disc(w // k, h // k)
    out = bg.copy()
    edge = TileBlend().blend(frame, out, alpha=alpha)
    assert 0 < edge < (w // tile_side(w, h)) * (h // tile_side(w, h))  # some tiles were copied or left, not blended
    full = cv2.resize(alpha, (w, h), interpolation=cv2.INTER_LINEAR)
    expected = cv2.blendLinear(frame, bg, full, 1 - full)
    assert np.abs(out.astype(int) - expected).max() <= 1


@pytest.mark.parametrize(("w", "h", "grid"), [(96, 64, (20, 30)), (240, 144, (37, 55)), (120, 72, (72, 120))])
def test_tiles_make_the_guided_step_at_full_size_from_the_coefficients(w, h, grid):
    """clip(a * grey + b) with a, b scaled up bilinearly from any grid (the refiner's working size), edge only."""
    rng = np.random.default_rng(w)
    frame = cv2.GaussianBlur(rng.integers(0, 256, (h, w, 3), np.uint8), (5, 5), 0)
    bg = rng.integers(0, 256, (h, w, 3), np.uint8)
    gh, gw = grid
    b = cv2.resize(_soft_disc(gw, gh), (gw, gh))
    a = np.where((b > 0) & (b < 1), rng.normal(0, 0.004, (gh, gw)), 0).astype(np.float32)
    out = bg.copy()
    TileBlend().blend(frame, out, coefficients=(a, b))
    full = full_alpha(frame, coefficients=(a, b))
    expected = cv2.blendLinear(frame, bg, full, 1 - full)
    assert np.abs(out.astype(int) - expected).max() <= 1


@pytest.mark.parametrize("guided", [True, False])
def test_a_kept_field_cuts_the_next_frame_as_a_fresh_plan_would(guided):
    """Split frames: one refine cuts two frames. With the same field_key the second frame reuses the plan (tiles and
    scaled-up planes) and comes out as if planned afresh; a new key plans again."""
    rng = np.random.default_rng(11)
    w, h, (gh, gw) = 480, 288, (72, 120)
    frames = [cv2.GaussianBlur(rng.integers(0, 256, (h, w, 3), np.uint8), (5, 5), 0) for _ in range(2)]
    bg = rng.integers(0, 256, (h, w, 3), np.uint8)
    b = cv2.resize(_soft_disc(gw, gh), (gw, gh))
    a = np.where((b > 0) & (b < 1), rng.normal(0, 0.004, (gh, gw)), 0).astype(np.float32)
    field = {"coefficients": (a, b)} if guided else {"alpha": b}

    def cut(blender, frame, key, **planes):
        out = bg.copy()
        return blender.blend(frame, out, field_key=key, **planes), out

    kept = TileBlend()
    cut(kept, frames[0], 7, **field)
    edge, second = cut(kept, frames[1], 7, **field)
    fresh_edge, fresh = cut(TileBlend(), frames[1], None, **field)
    assert edge == fresh_edge > 0
    assert np.array_equal(second, fresh)
    # another field under a new key is planned again: the whole subject moved, so the kept plan would be wrong
    moved = {k: tuple(np.roll(p, 9, axis=1) for p in v) if k == "coefficients" else np.roll(v, 9, axis=1)
             for k, v in field.items()}
    _, replanned = cut(kept, frames[1], 8, **moved)
    assert np.array_equal(replanned, cut(TileBlend(), frames[1], None, **moved)[1])
    assert not np.array_equal(replanned, second)


def test_a_kept_background_is_scaled_up_once_and_cuts_as_a_fresh_one():
    """A smaller background kept over frames (its key repeats: split frames, a still scene) is scaled up once and put
    back only where the last frame covered it; every frame still comes out as a fresh compositor makes it. Keys that
    change every frame keep nothing (no full-size copy to pay for)."""
    rng = np.random.default_rng(12)
    w, h, (gh, gw) = 480, 288, (72, 120)
    small = [cv2.GaussianBlur(rng.integers(0, 256, (h // 4, w // 4, 3), np.uint8), (5, 5), 0) for _ in range(3)]
    disc = cv2.resize(_soft_disc(gw, gh), (gw, gh))
    comp = Compositor()
    keys = [1, 1, 2, 2, 2, 3, 3, 4, 5]
    kept = []
    for i, key in enumerate(keys):
        frame = cv2.GaussianBlur(rng.integers(0, 256, (h, w, 3), np.uint8), (5, 5), 0)
        field = np.roll(disc, 6 * i, axis=1)  # the subject moves: the solid and edge tiles change every frame
        background = small[key % 3]
        made = comp.composite(frame, field, background, field_key=i, background_key=key)
        expected = Compositor().composite(frame, field, background)
        assert np.array_equal(made, expected), i
        kept.append(comp._kept._out_key)  # noqa: SLF001
    # kept from a background's second frame on, and from the first when the one before lasted two frames or more
    assert kept == [None, 1, 2, 2, 2, 3, 3, 4, None]
    changing = Compositor()
    for key in range(4):
        frame = rng.integers(0, 256, (h, w, 3), np.uint8)
        changing.composite(frame, disc, small[key % 3], field_key=key, background_key=key)
    assert changing._kept._full is None  # noqa: SLF001 - nothing repeated: nothing kept


def test_the_plan_and_background_made_ahead_cut_the_next_frame_as_fresh_ones():
    """Split frames make the tile plan and the scaled-up background once the frame before is out; the next frame,
    cut with them, comes out as a fresh compositor makes it."""
    rng = np.random.default_rng(13)
    w, h, (gh, gw) = 480, 288, (72, 120)
    b = cv2.resize(_soft_disc(gw, gh), (gw, gh))
    a = np.where((b > 0) & (b < 1), rng.normal(0, 0.004, (gh, gw)), 0).astype(np.float32)
    frames = [cv2.GaussianBlur(rng.integers(0, 256, (h, w, 3), np.uint8), (5, 5), 0) for _ in range(3)]
    small = [rng.integers(0, 256, (h // 4, w // 4, 3), np.uint8) for _ in range(2)]
    comp = Compositor()
    comp.composite(frames[0], b, small[0], coefficients=(a, b), field_key=1, background_key=1)
    moved = tuple(np.roll(x, 7, axis=1) for x in (a, b))
    comp.plan_ahead(frames[0], moved[1], moved, 2)  # after frame 0: a new refine and a new blur, for frame 1
    comp.background_ahead(small[1], frames[0].shape, 2)
    for frame in frames[1:]:
        made = comp.composite(frame, moved[1], small[1], coefficients=moved, field_key=2, background_key=2)
        assert np.array_equal(made, Compositor().composite(frame, moved[1], small[1], coefficients=moved))
    assert comp._kept._full_key == 2  # noqa: SLF001 - the background was scaled up ahead, not again


def test_a_wide_edge_is_blended_whole_and_an_odd_size_without_tiles():
    rng = np.random.default_rng(5)
    frame = rng.integers(0, 256, (64, 96, 3), np.uint8)
    bg = rng.integers(0, 256, (64, 96, 3), np.uint8)
    soft = np.full((32, 48), 0.5, np.float32)
    out = bg.copy()
    assert TileBlend().blend(frame, out, alpha=soft) == -1
    assert np.abs(out.astype(int) - cv2.blendLinear(frame, bg, np.full((64, 96), 0.5, np.float32),
                                                    np.full((64, 96), 0.5, np.float32))).max() <= 1
    odd = rng.integers(0, 256, (61, 97, 3), np.uint8)
    comp = Compositor()
    alpha = _soft_disc(97, 61)
    made = comp.composite(odd, alpha, np.zeros_like(odd))
    assert comp.edge_tiles == -1
    assert np.abs(made.astype(int) - cv2.blendLinear(odd, np.zeros_like(odd), alpha, 1 - alpha)).max() <= 1


def test_a_smaller_background_is_scaled_up_into_the_output():
    rng = np.random.default_rng(6)
    frame = rng.integers(0, 256, (72, 128, 3), np.uint8)
    small = rng.integers(0, 256, (36, 64, 3), np.uint8)
    out = Compositor().composite(frame, np.zeros((72, 128), np.float32), small)
    assert np.array_equal(out, cv2.resize(small, (128, 72), interpolation=cv2.INTER_LINEAR))
    with pytest.raises(ValueError):
        Compositor().composite(frame, np.zeros((72, 128), np.float32), np.zeros((80, 128, 3), np.uint8))


def test_compositor_takes_a_capped_alpha_for_every_background_kind():
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (360, 640, 3), np.uint8)
    small = _soft_disc(320, 180)
    full = cv2.resize(small, (640, 360), interpolation=cv2.INTER_LINEAR)
    comp = Compositor()
    for background in (BlurBackground(21), ColorBackground("#102030"), TransparentBackground()):
        picture = background.render(frame, small)
        if picture is not None:
            picture = picture.copy()
        capped = comp.composite(frame, small, picture, mirror=True).copy()
        reference = Compositor().composite(frame, full, picture, mirror=True)
        assert capped.shape == reference.shape
        assert np.abs(capped.astype(int) - reference).max() <= 1, background.name


@pytest.mark.parametrize(("size", "k"), [((1280, 720), 1), ((640, 480), 1), ((1920, 1080), 2), ((2560, 1440), 2),
                                         ((3840, 2160), 3), ((1080, 1920), 2), ((1366, 768), 2), ((1281, 721), 1)])
def test_detail_factor(size, k):
    assert detail_factor(*size, LIVE_DETAIL_CAP) == k
    assert detail_factor(*size, None) == 1


@pytest.mark.parametrize(("size", "k"), [((1280, 720), 2), ((1920, 1080), 4), ((3840, 2160), 8), ((2560, 1440), 4),
                                         ((1800, 1080), 4), ((1350, 810), 3), ((1366, 768), 1), ((600, 300), 1)])
def test_the_guided_cap_halves_the_frame(size, k):
    """A power of two where one divides the frame (the refiner's own alpha lands on one of the blur's halvings),
    else detail_factor's k."""
    assert guided_factor(*size, LIVE_GUIDED_CAP) == k


def test_capped_refiner_returns_the_alpha_at_a_fraction_close_to_the_full_one():
    rng = np.random.default_rng(1)
    frame = cv2.GaussianBlur(rng.integers(0, 256, (1080, 1920, 3), np.uint8), (9, 9), 0)
    cv2.circle(frame, (960, 540), 300, (250, 250, 250), -1)  # a bright subject the guide can follow
    small = np.zeros((144, 256), np.float32)
    cv2.circle(small, (128, 72), 40, 1.0, -1)
    settings = RefineSettings(smoothing=0.0, feather=3)
    capped_refiner = MaskRefiner(settings, detail_cap=LIVE_DETAIL_CAP)
    capped = capped_refiner.refine(small, frame)
    assert capped.shape == (540, 960) and capped_refiner.detail_factor == 2
    full = MaskRefiner(settings).refine(small, frame)
    assert full.shape == (1080, 1920)
    up = cv2.resize(capped, (1920, 1080), interpolation=cv2.INTER_LINEAR)
    assert float(np.abs(up - full).mean()) < 0.01


def test_halo_free_blur_from_a_capped_alpha_keeps_the_subject_out():
    """A bright subject on a dark room: outside its edge, the plain blur glows; the halo-free one stays dark."""
    h, w = 720, 1280
    room = np.full((h, w, 3), 30, np.uint8)
    alpha = np.zeros((h, w), np.float32)
    cv2.rectangle(alpha, (500, 200), (800, 720), 1.0, -1)
    frame = room.copy()
    frame[alpha > 0] = 240
    band = (cv2.dilate((alpha > 0).astype(np.uint8), np.ones((25, 25), np.uint8)) > 0) & (alpha == 0)
    plain = BlurBackground(31).render(frame).copy()
    half = cv2.resize(alpha, (w // 2, h // 2), interpolation=cv2.INTER_AREA)
    free = BlurBackground(31).render(frame, half)
    plain_err = np.abs(plain.astype(int) - 30)[band].mean()
    free_err = np.abs(free.astype(int) - 30)[band].mean()
    assert free_err < 0.25 * plain_err, (free_err, plain_err)


def test_the_edge_of_a_capped_alpha_is_computed_at_full_size_from_the_refiners_coefficients():
    """The capped refiner's (a, b) give the compositor the full-size guided step on the edge: the composite comes
    closer to the one made with the uncapped refiner's alpha than scaling the capped alpha up does."""
    rng = np.random.default_rng(2)
    frame = cv2.GaussianBlur(rng.integers(0, 256, (1080, 1920, 3), np.uint8), (15, 15), 0)
    cv2.circle(frame, (960, 540), 300, (250, 240, 230), -1)
    small = np.zeros((144, 256), np.float32)
    cv2.circle(small, (128, 72), 40, 1.0, -1)
    settings = RefineSettings(smoothing=0.0)
    full = MaskRefiner(settings).refine(small, frame)
    reference = cv2.blendLinear(frame, np.zeros_like(frame), full, 1 - full).astype(int)
    refiner = MaskRefiner(settings, detail_cap=LIVE_DETAIL_CAP)
    capped = refiner.refine(small, frame)
    assert refiner.coefficients is not None and MaskRefiner(settings).coefficients is None  # before a refine
    black = np.zeros_like(frame)
    with_coefficients = Compositor().composite(frame, capped, black, coefficients=refiner.coefficients)
    err_with = np.abs(with_coefficients.astype(int) - reference).mean()
    scaled_up = Compositor().composite(frame, capped, black)
    err_without = np.abs(scaled_up.astype(int) - reference).mean()
    assert err_with < 0.6 * err_without, (err_with, err_without)
    # a feathered alpha is no longer a * grey + b: no coefficients, the alpha is scaled up as it is
    feathered = MaskRefiner(RefineSettings(feather=2), detail_cap=LIVE_DETAIL_CAP)
    feathered.refine(small, frame)
    assert feathered.coefficients is None


def test_the_blurs_small_picture_composites_as_its_full_size_one():
    """The output thread hands the compositor the blur's small picture (render_for_compositor), which the compositor
    scales up into its output: the same frame as with the blur scaled up by render."""
    rng = np.random.default_rng(7)
    frame = cv2.GaussianBlur(rng.integers(0, 256, (1080, 1920, 3), np.uint8), (9, 9), 0)
    alpha = _soft_disc(640, 360)
    small = render_for_compositor(BlurBackground(21), frame, alpha)
    assert small.shape[0] < 1080 and small.shape[1] < 1920
    full = BlurBackground(21).render(frame, alpha)
    assert full.shape == frame.shape
    made_small = Compositor().composite(frame, alpha, small).copy()
    assert np.array_equal(made_small, Compositor().composite(frame, alpha, full))
    assert render_for_compositor(ColorBackground("#102030"), frame).shape == frame.shape


def test_every_output_kind_takes_the_coefficients_and_matches_the_full_size_alpha():
    """Mirrored, transparent (BGRA) and portrait frames, with the refiner's coefficients: the same pixels as the
    full-size alpha (clip(a * grey + b) at full size) blended or put in the alpha channel."""
    rng = np.random.default_rng(9)
    for w, h in ((1920, 1080), (1080, 1920)):
        frame = cv2.GaussianBlur(rng.integers(0, 256, (h, w, 3), np.uint8), (9, 9), 0)
        cv2.circle(frame, (w // 2, h // 2), min(w, h) // 4, (240, 230, 220), -1)
        small = np.zeros((256, 256), np.float32)
        cv2.circle(small, (128, 128), 64, 1.0, -1)
        refiner = MaskRefiner(RefineSettings(smoothing=0.0), detail_cap=LIVE_DETAIL_CAP, guided_cap=LIVE_GUIDED_CAP)
        alpha = refiner.refine(small, frame)
        co = refiner.coefficients
        assert co is not None and alpha.shape[0] < h
        full = full_alpha(frame, coefficients=co)
        bg = rng.integers(0, 256, (h, w, 3), np.uint8)
        expected = cv2.blendLinear(frame, bg, full, 1 - full).astype(int)
        comp = Compositor()
        mirrored = comp.composite(frame, alpha, bg, mirror=True, coefficients=co)
        assert 0 < comp.edge_tiles and np.abs(mirrored.astype(int) - expected[:, ::-1]).max() <= 1
        assert comp._tiles._full is None  # noqa: SLF001 - the tiles never make a full-size float alpha
        bgra = comp.composite(frame, alpha, None, coefficients=co)
        assert np.array_equal(bgra[:, :, :3], frame)
        assert np.abs(bgra[:, :, 3].astype(int) - cv2.convertScaleAbs(full, alpha=255.0)).max() <= 1
        view = np.ascontiguousarray(np.pad(frame, ((0, 0), (0, 8), (0, 0))))[:, :w]  # a strided view of a frame
        assert np.abs(comp.composite(view, alpha, bg, coefficients=co).astype(int) - expected).max() <= 1
