"""The cutout figures of `studio eval` (regions, edges, halo, held objects, flicker, compare) on known answers and a
few real pictures."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest

from studio.stills.eval_edges import edge_scores, evaluate_edges
from studio.stills.eval_halo import evaluate_halo
from studio.stills.eval_held import build_held_set, paste_at_hand
from studio.stills.eval_regions import regions
from studio.stills.eval_suite import compare_lines, load_report


def test_regions_split_by_subject_size():
    scores = [SimpleNamespace(iou=v, subject=s) for v, s in ((0.9, 0.5), (0.7, 0.4), (0.1, 0.05), (0.95, 0.1))]
    r = regions(scores)
    assert r["all"] == {"count": 4, "mean_iou": 0.6625, "median_iou": 0.8, "under_0.8": 0.5}
    assert r["small (<15%)"]["count"] == 2 and r["small (<15%)"]["under_0.8"] == 0.5
    assert r["large (>=15%)"]["mean_iou"] == 0.8


def test_edge_scores_are_zero_for_the_truth_and_grow_with_blur():
    import cv2

    t = np.zeros((64, 64), np.float32)
    t[:, 32:] = 1
    assert edge_scores(t, t) == {"sad": 0.0, "mse": 0.0, "grad": 0.0}
    soft = cv2.GaussianBlur(t, (0, 0), 2)
    softer = cv2.GaussianBlur(t, (0, 0), 4)
    a, b = edge_scores(soft, t), edge_scores(softer, t)
    assert all(0 < a[k] < b[k] for k in a)


def test_refinement_beats_bilinear_on_every_edge_figure(shared_data):
    r = evaluate_edges(shared_data / "matting", limit=8)
    assert r["count"] == 8
    assert all(r["guided"][k] < r["bilinear"][k] for k in ("sad", "mse", "grad")), r


def test_halo_free_blur_leaks_less_of_the_subject(shared_data):
    r = evaluate_halo(shared_data / "matting", shared_data / "davis" / "dance-twirl", limit=8)
    assert r["count"] >= 6
    assert r["halo_free_blur"] < r["plain_blur"], r
    e = r["edge_px"]
    assert set(e) == {"-2", "-1", "0", "1"} and e["0"]["outside"] == r["halo_free_blur"]
    # moving the edge inward costs the subject's own edge (the error inside grows); outward does the opposite
    assert e["-2"]["inside"] > e["-1"]["inside"] > e["0"]["inside"] > e["1"]["inside"], e


def test_paste_at_hand_truth():
    person = np.zeros((200, 200), bool)
    person[40:200, 60:120] = True
    img = np.zeros((200, 200, 3), np.uint8)
    obj = np.full((50, 50, 3), 255, np.uint8)
    alpha = np.ones((50, 50), np.float32)
    pic, truth, only = paste_at_hand(img, person, obj, alpha, 1)
    assert only.any() and not (only & person).any() and (truth == (person | only)).all()
    assert (pic[only] == 255).all()
    assert paste_at_hand(img, np.zeros_like(person), obj, alpha, 1) is None


def test_held_set_is_built_from_real_pictures(shared_data):
    s = build_held_set(shared_data / "portraits", shared_data / "matting", limit=3)
    assert len(s) == 3
    for _name, img, truth, only in s:
        assert img.shape[:2] == truth.shape and only.any() and truth[only].all()


def test_compare_reports(tmp_path):
    a = {"model": "selfie", "quality": "fast", "refine": "guided", "portraits": {"mean_iou": 0.88, "count": 97}}
    b = {"model": "selfie", "quality": "best", "refine": "guided", "portraits": {"mean_iou": 0.92, "count": 97}}
    lines = compare_lines(a, b)
    row = [ln for ln in lines if ln.startswith("portraits.mean_iou")]
    assert row and "+0.0400" in row[0] and not any(ln.startswith("portraits.count") for ln in lines)
    p = tmp_path / "a.json"
    p.write_text(json.dumps(a))
    assert load_report(p) == a
    from studio.core.errors import StudioError

    (tmp_path / "bad.json").write_text("[1]")
    with pytest.raises(StudioError):
        load_report(tmp_path / "bad.json")


def test_sequence_reports_raw_and_live(shared_data):
    from studio.stills.eval_flicker import evaluate_sequence

    d = shared_data / "davis" / "dance-twirl"
    r = evaluate_sequence(d / "img", d / "mask", model="selfie", limit=4)
    assert r["count"] == 4 and set(r) >= {"raw", "live"}
    for k in ("raw", "live"):
        assert 0 <= r[k]["mean_iou"] <= 1 and r[k]["flicker"] >= 0


def test_halo_free_blur_keeps_the_subject_out_of_the_background():
    from studio.compose.backgrounds import BlurBackground

    frame = np.zeros((240, 320, 3), np.uint8)
    frame[60:180, 100:220] = 255  # a white subject on black
    alpha = np.zeros((240, 320), np.float32)
    alpha[60:180, 100:220] = 1
    plain = BlurBackground(31).render(frame).copy()
    free = BlurBackground(31).render(frame, alpha)
    ring = (slice(50, 58), slice(100, 220))  # just outside the subject's top edge
    assert plain[ring].mean() > 25 and free[ring].mean() < 3, (plain[ring].mean(), free[ring].mean())
