"""Quality mode (studio.stills.quality): the looks line up with the picture, the plan opens the right models, and on
real portraits it beats the best single model."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import pytest

from studio.inference.segmenter import Segmentation
from studio.stills.quality import FusedSegmenter, QualityPlan, models_for


@dataclass
class _Spec:
    name: str
    kind: str
    input_size: tuple[int, int]


class _RedChannel:
    """A 'model' whose mask is the red channel of what it sees, at its own output size: the fused mask must then be
    the picture's red channel wherever the looks land (any misalignment of a look shows as an error)."""

    def __init__(self, name, kind, size, out_size=None):
        self.spec = _Spec(name, kind, size)
        self.report = None
        self.backend_label = "fake"
        self.out_size = out_size or size
        self.closed = False
        self.calls = 0

    def segment(self, bgr):
        self.calls += 1
        assert bgr.shape[:2] == self.spec.input_size[::-1]
        a = cv2.resize(bgr[:, :, 2], self.out_size, interpolation=cv2.INTER_AREA).astype(np.float32) / 255
        return Segmentation(a, self.spec.input_size, 0, 0, 0)

    def close(self):
        self.closed = True


def _picture(w=480, h=360):
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    red = 127 + 60 * np.sin(x / 23.0) + 60 * np.cos(y / 31.0)
    img = np.zeros((h, w, 3), np.uint8)
    img[:, :, 2] = red.clip(0, 255)
    cv2.circle(img, (300, 200), 40, (0, 0, 255), -1)  # a small bright 'subject' so the zoom pass runs
    return img


class _Blind(_RedChannel):
    """A 'model' that sees nothing (the portrait model on a crowd of distant people): background everywhere."""

    def segment(self, bgr):
        out = super().segment(bgr)
        return Segmentation(np.zeros_like(out.alpha), self.spec.input_size, 0, 0, 0)


def _opener(made, blind=()):
    def open_(name, backend, device):
        kind, size, out = {"selfie": ("portrait", (256, 256), None), "selfie-landscape": ("portrait", (256, 144), None),
                           "u2netp": ("object", (320, 320), (160, 160))}[name]
        seg = (_Blind if name in blind else _RedChannel)(name, kind, size, out)
        made.append(seg)
        return seg
    return open_


@pytest.mark.parametrize("plan", [QualityPlan(zoom=False, flip=False), QualityPlan(), QualityPlan(shifts=2)])
def test_every_look_lands_where_it_was_taken(plan):
    made = []
    fs = FusedSegmenter("selfie", plan=plan, opener=_opener(made))
    img = _picture()
    out = fs.segment(img).alpha
    h, w = img.shape[:2]
    assert out.shape == (h, w)  # smaller than the canvas: the picture's own size
    truth = img[:, :, 2].astype(np.float32) / 255
    err = np.abs(out - truth)[8:-8, 8:-8]  # borders: replicated pixels
    assert err.mean() < 0.02, err.mean()
    fs.close()
    assert all(s.closed for s in made) and [s.spec.name for s in made] == ["selfie", "u2netp", "selfie-landscape"]


def test_zoom_pass_runs_on_a_small_subject_only():
    made = []
    fs = FusedSegmenter("selfie", plan=QualityPlan(flip=False), opener=_opener(made))
    img = np.zeros((360, 480, 3), np.uint8)
    cv2.circle(img, (300, 200), 30, (0, 0, 255), -1)
    fs.segment(img)
    assert fs.last_timings["zoomed"] == 1.0 and made[0].calls == 2
    img[:] = (0, 0, 255)  # the subject is everything: no zoom
    fs.segment(img)
    assert fs.last_timings["zoomed"] == 0.0 and made[0].calls == 3
    fs.close()


def test_models_for():
    assert models_for("selfie", "portrait") == ["selfie", "u2netp", "selfie-landscape"]
    assert models_for("selfie-landscape", "portrait") == ["selfie-landscape", "u2netp", "selfie"]
    assert models_for("u2netp", "object") == ["u2netp"]


def test_a_model_that_sees_nothing_gets_no_say_and_a_grey_subject_is_still_zoomed():
    made = []
    blind = ("selfie", "selfie-landscape")
    fs = FusedSegmenter("selfie", plan=QualityPlan(flip=False), opener=_opener(made, blind))
    img = np.zeros((360, 480, 3), np.uint8)
    cv2.circle(img, (300, 200), 30, (0, 0, 255), -1)
    out = fs.segment(img).alpha
    assert out[200, 300] > 0.95 and out[20, 20] < 0.05  # the salient model's answer, not a third of it
    assert fs.last_timings["zoomed"] == 1.0
    fs.close()
    made = []
    fs = FusedSegmenter("u2netp", plan=QualityPlan(flip=False, zoom_alone=True), opener=_opener(made))
    img[:] = 0
    cv2.circle(img, (300, 200), 30, (0, 0, 100), -1)  # nothing reaches 0.5: zoom where the mask is highest
    fs.segment(img)
    assert fs.last_timings["zoomed"] == 1.0
    fs.close()


def test_an_object_model_is_not_fused_with_a_portrait_model():
    made = []
    fs = FusedSegmenter("u2netp", opener=_opener(made))
    assert fs.model_names == ["u2netp"]
    fs.close()


def test_keep_held_takes_a_sure_object_touching_the_person_only():
    from studio.stills.quality import keep_held

    person = np.zeros((100, 100), np.float32)
    person[20:100, 30:60] = 1  # the body
    salient = person.copy()
    salient[50:60, 60:70] = 0.95  # held: touches the body, small, sure
    salient[10:20, 85:95] = 0.95  # a lamp in the room: does not touch
    salient[50:60, 0:30] = 0.6  # touches but unsure
    fused = (person + np.where(salient > person, 0.0, salient)) / 2  # the average halves what only one model sees
    out = keep_held(fused, person, salient)
    assert out[55, 65] >= 0.9 and out[15, 90] == fused[15, 90] and out[55, 10] == fused[55, 10]
    big = salient.copy()
    big[0:100, 60:100] = 0.95  # a region larger than a quarter of the person: more likely a wall
    assert keep_held(fused, person, big)[55, 80] == fused[55, 80]


@pytest.mark.parametrize("name", ["181.jpg", "271.jpg"])
def test_best_beats_the_single_model_where_it_fails(shared_data, name):
    """A person lying across the picture (181) and a small one far away (271): the portrait model alone gets IoU
    0.19 and 0.73; fused with the salient model, zoomed and mirrored, 0.95 and 0.91."""
    from studio.stills.cutout import Cutter
    from studio.stills.evaluate import iou, read_mask
    from studio.stills.imageio import load_image

    img = load_image(shared_data / "portraits" / "img" / name)
    truth = read_mask(shared_data / "portraits" / "mask" / name.replace(".jpg", ".png"), img.size)
    with Cutter("selfie", "onnxruntime") as fast, Cutter("selfie", "onnxruntime", quality="best") as best:
        fast_iou = iou(fast.cut(img.bgr).alpha >= 0.5, truth)
        best_iou = iou(best.cut(img.bgr).alpha >= 0.5, truth)
    assert best_iou > fast_iou + 0.1 and best_iou > 0.85, (fast_iou, best_iou)
