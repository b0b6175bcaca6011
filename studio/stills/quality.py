"""Quality mode for stills (``--quality best``): several looks at one picture, fused into one mask.

A ``FusedSegmenter`` behaves like a Segmenter (``segment(bgr) -> Segmentation``, ``close()``), so ``cut_out`` and
everything built on it (``studio process``, the kiosk, the service, ``studio eval``) get quality mode through the same
function. It opens its models once and, for each picture:

1. looks at the whole picture with every model, plain and mirrored (test-time augmentation; the mirrored look also
   steadies the portrait model, whose answer on hard pictures moves with a fraction of a pixel of input);
2. finds the subject's box in the fused answer (where it is highest when nothing reaches 0.5) and, when the subject
   fills little of the picture, looks again at that box (zoom: a distant person is a few dozen pixels in a 256 px
   input, and the portrait model misses them);
3. averages each model's looks, then the models with each other, each weighted by how decisive it is on this picture
   (a model that fails on a picture answers in greys; one that sees no subject at all gets no say) and keeps what
   the person holds (see ``keep_held``).

The result is a mask on a canvas of the picture's shape (long side ``QualityPlan.canvas``, or the picture's own size
when smaller), which the still refinement then guides up to full size. For a portrait model the salient-object model
and the other embedded portrait model join in (their errors differ: the average gains about 2 IoU points, and what
the person holds is kept); an object model is fused with its own looks only (a portrait model would drop the
product). Measured on the portraits (97, remove.bg masks) with ``studio eval ... --model selfie --quality best``:
0.917 mean IoU against 0.885 for the best single model (selfie, fast); the decisiveness power (16) was chosen there
among 4, 8, 16 and 32 (0.916-0.919 from 8 to 32), so that figure is in-sample.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import cv2
import numpy as np

from studio.inference.segmenter import Segmentation

SALIENT_PARTNER = "u2netp"  # the object model a portrait model is fused with
# A portrait model is fused with the salient-object model and with the other embedded portrait model: their failures
# differ (selfie-landscape sees small, distant people that selfie misses), and each look of theirs costs ~10 ms.
PARTNERS = (SALIENT_PARTNER, "selfie", "selfie-landscape")


@dataclass(frozen=True)
class QualityPlan:
    flip: bool = True  # a mirrored look per model
    partner_zoom: bool = False  # the salient partner looks at the zoomed box too (one more of its looks; with
    #                             selfie-landscape in the fusion it brought nothing on the portraits)
    flip_partner_zoom: bool = False  # ... also for the salient partner's zoomed look (its looks cost 30x the portrait
    #                                    model's; measured: no gain from this one)
    shifts: int = 0  # extra looks moved by half a model pixel (diagonally, alternating sign)
    zoom: bool = True  # a second pass on the subject's box
    zoom_below: float = 0.5  # ... when the box covers less than this share of the picture
    zoom_alone: bool = False  # zoom an object model that has no partner (u2netp alone: portraits IoU 0.883 -> 0.870,
    #                           small subjects 0.806 -> 0.751: its min-max output stretches a crop's background)
    zoom_margin: float = 0.12  # box grown by this share of its size on each side
    zoom_unsure: float = 0.5  # nothing reaches the threshold (a crowd of distant people, all grey): the box is
    #                           where the fused mask reaches this share of its highest value
    zoom_weight: float = 1.0  # weight of the zoomed looks inside the box (the whole-picture looks weigh 1)
    partner_weight: float = 1.0  # weight of the salient partner against the portrait model
    decisiveness_power: float = 16.0  # models weigh (mean |2a - 1| over their joint foreground) ** this; 0: plain mean
    canvas: int = 640  # long side of the fused mask
    threshold: float = 0.5  # foreground, for the subject's box
    held: bool = True  # keep what the person holds: salient regions that touch the person (portrait + partner)
    held_confidence: float = 0.8  # ... where the salient model is at least this sure
    held_max_share: float = 0.25  # ... and the region is at most this share of the person's area


BEST = QualityPlan()


def models_for(model: str, kind: str) -> list[str]:
    """The models quality mode opens for ``model`` (first: the one the user chose)."""
    if kind != "portrait":
        return [model]
    return [model] + [p for p in PARTNERS if p != model]


# -- geometry: 3x3 affine maps between pixel grids (pixel centres at integers, edges at -0.5) ----------------------

def _box_map(x0: float, y0: float, bw: float, bh: float, w: int, h: int, flip: bool) -> np.ndarray:
    """Maps a w x h grid onto the box (x0, y0, bw, bh) of another grid (edges onto edges), mirrored if ``flip``."""
    sx, sy = bw / w, bh / h
    if flip:
        return np.array([[-sx, 0, x0 + (w - 0.5) * sx - 0.5], [0, sy, y0 + 0.5 * sy - 0.5], [0, 0, 1]])
    return np.array([[sx, 0, x0 + 0.5 * sx - 0.5], [0, sy, y0 + 0.5 * sy - 0.5], [0, 0, 1]])


def _scale_map(s: float) -> np.ndarray:
    """Maps a grid onto one ``s`` times larger (s < 1: smaller), edges onto edges."""
    return np.array([[s, 0, 0.5 * s - 0.5], [0, s, 0.5 * s - 0.5], [0, 0, 1]])


class _Pyramid:
    """The picture and its INTER_AREA halvings, so a look samples from a level close to its own scale (no aliasing)."""

    def __init__(self, image: np.ndarray) -> None:
        self.levels = [image]

    def level_for(self, scale: float) -> tuple[np.ndarray, int]:
        """The level to sample from for a look that shrinks the picture ``scale`` times (scale > 1 shrinks)."""
        n = 0
        while scale / 2 ** (n + 1) >= 1.0 and min(self.levels[-1].shape[:2]) >= 64:
            n += 1
            if n == len(self.levels):
                prev = self.levels[-1]
                self.levels.append(cv2.resize(prev, (max(1, prev.shape[1] // 2), max(1, prev.shape[0] // 2)),
                                              interpolation=cv2.INTER_AREA))
        return self.levels[n], n


@dataclass
class _Look:
    box: tuple[float, float, float, float]  # x0, y0, w, h in picture pixels
    flip: bool
    weight: float


def keep_held(fused: np.ndarray, person: np.ndarray, salient: np.ndarray, threshold: float = 0.5,
              confidence: float = 0.8, max_share: float = 0.25) -> np.ndarray:
    """``fused`` with the salient model's answer where it sees an object that the fusion dropped and that touches
    the person (a product in the hand: the portrait model knows only people, and the average halves the object).
    Only where the salient model is sure (>= ``confidence``) and for regions up to ``max_share`` of the person's area
    (a larger one is more likely a piece of the room)."""
    body = (person >= threshold).astype(np.uint8)
    extra = ((salient >= confidence) & (fused < threshold)).astype(np.uint8)
    if not body.any() or not extra.any():
        return fused
    n, labels, stats, _ = cv2.connectedComponentsWithStats(extra, connectivity=8)
    near = cv2.dilate(body, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (5, 5))) > 0
    touching = np.unique(labels[near & (extra > 0)])
    limit = max_share * np.count_nonzero(body)
    touching = np.array([i for i in touching if i > 0 and stats[i, cv2.CC_STAT_AREA] <= limit], dtype=np.int32)
    if touching.size == 0:
        return fused
    sel = np.isin(labels, touching)
    out = fused.copy()
    out[sel] = np.maximum(fused[sel], salient[sel])
    return out


class FusedSegmenter:
    """Several segmenters opened once, several looks per picture, one fused mask (see the module docstring)."""

    def __init__(self, model: str, backend: str = "auto", device: str = "auto", *, plan: QualityPlan = BEST,
                 opener=None, partners: tuple[str, ...] = PARTNERS) -> None:
        from studio.inference import open_segmenter
        from studio.inference.precision import backend_options

        opener = opener or open_segmenter
        self.plan = plan
        self.segmenters = []
        # Quality mode runs at full precision whatever a model's default plan is: bf16 keeps u2netp's mean IoU within
        # 0.3 points but moved one hard portrait's fused mask from IoU 0.85 to 0.69, and this mode is for the tail.
        full = {"backend_options": backend_options("fp32")} if opener is open_segmenter else {}
        try:
            first = opener(model, backend, device, **full)
            self.segmenters.append(first)
            for name in models_for(model, first.spec.kind)[1:] if partners else ():
                if name in partners:
                    self.segmenters.append(opener(name, backend, device, **full))
        except BaseException:
            self.close()
            raise
        self.spec = first.spec
        self.report = first.report
        self.last_timings: dict[str, float] = {}

    @property
    def backend_label(self) -> str:
        return self.segmenters[0].backend_label

    @property
    def model_names(self) -> list[str]:
        return [s.spec.name for s in self.segmenters]

    # -- one look ----------------------------------------------------------------------------------------------

    def _look(self, seg, pyr: _Pyramid, look: _Look, canvas_wh: tuple[int, int], img_w: int,
              acc: np.ndarray, wacc: np.ndarray) -> None:
        mw, mh = seg.spec.input_size
        x0, y0, bw, bh = look.box
        view_to_img = _box_map(x0, y0, bw, bh, mw, mh, look.flip)
        src, n = pyr.level_for(min(bw / mw, bh / mh))
        view_to_src = _scale_map(1.0 / 2 ** n) @ view_to_img if n else view_to_img
        view = cv2.warpAffine(src, view_to_src[:2], (mw, mh), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                              borderMode=cv2.BORDER_REPLICATE)
        alpha = seg.segment(view).alpha
        ah, aw = alpha.shape
        alpha_to_view = _scale_map(mw / aw) if (aw, ah) != (mw, mh) else np.eye(3)
        cw, ch = canvas_wh
        img_to_canvas = _scale_map(cw / img_w)
        alpha_to_canvas = img_to_canvas @ view_to_img @ alpha_to_view
        m = alpha_to_canvas[:2]
        warped = cv2.warpAffine(alpha, m, (cw, ch), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
        cover = cv2.warpAffine(np.ones_like(alpha), m, (cw, ch), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_CONSTANT)
        cover *= look.weight
        acc += warped * cover
        wacc += cover

    # -- the plan ----------------------------------------------------------------------------------------------

    def _looks(self, box: tuple[float, float, float, float], seg, weight: float, zoom: bool = False) -> list[_Look]:
        p = self.plan
        if zoom and seg is not self.segmenters[0] and seg.spec.kind != "portrait" and not p.partner_zoom:
            return []
        looks = [_Look(box, False, weight)]
        # the salient partner's looks cost ~30x a portrait model's: its zoomed look is not mirrored
        if p.flip and (not zoom or seg.spec.kind == "portrait" or p.flip_partner_zoom):
            looks.append(_Look(box, True, weight))
        mw, mh = seg.spec.input_size
        x0, y0, bw, bh = box
        for i in range(p.shifts):
            d = 0.5 * (1 if i % 2 == 0 else -1)
            looks.append(_Look((x0 + d * bw / mw, y0 + d * bh / mh, bw, bh), i % 4 >= 2, weight))
        return looks

    def _pass(self, pyr, boxes_weights, canvas_wh, img_w, zoom=False) -> list[tuple[np.ndarray, np.ndarray]]:
        cw, ch = canvas_wh
        out = []
        for seg in self.segmenters:
            acc = np.zeros((ch, cw), np.float32)
            wacc = np.zeros((ch, cw), np.float32)
            for box, weight in boxes_weights:
                for look in self._looks(box, seg, weight, zoom):
                    self._look(seg, pyr, look, canvas_wh, img_w, acc, wacc)
            out.append((acc, wacc))
        return out

    def _fuse(self, parts: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        p = self.plan
        alphas = [acc / np.maximum(wacc, 1e-6) for acc, wacc in parts]
        weights = [1.0] + [p.partner_weight] * (len(alphas) - 1)
        if len(alphas) > 1 and p.decisiveness_power > 0:
            # Per picture, trust the model that is surer of itself: a model that fails on a picture (a person
            # lying down, a crowd) answers in greys, one that works answers in black and white.
            union = np.zeros(alphas[0].shape, bool)
            for a in alphas:
                union |= a >= p.threshold
            if np.count_nonzero(union) >= 20:
                # A model that sees no subject at all (the portrait model on a crowd of distant people) is
                # "decisive" about the background only; it has failed here and gets no say in the shape.
                weights = [w * float(np.abs(2 * a[union] - 1).mean()) ** p.decisiveness_power
                           * bool((a >= p.threshold).any()) + 1e-6 for w, a in zip(weights, alphas)]
        fused = sum(w * a for w, a in zip(weights, alphas)) / sum(weights)
        fused = fused.astype(np.float32)
        if p.held and len(alphas) >= 2 and self.segmenters[1].spec.name == SALIENT_PARTNER:
            fused = keep_held(fused, alphas[0], alphas[1], p.threshold, p.held_confidence, p.held_max_share)
        return fused

    def subject_box(self, alpha: np.ndarray, img_w: int, img_h: int) -> tuple[float, float, float, float] | None:
        """The subject's box in picture pixels (grown by the margin, toward the model's shape), or None."""
        top = float(alpha.max()) if alpha.size else 0.0
        level = self.plan.threshold if top >= self.plan.threshold else self.plan.zoom_unsure * top
        if level <= 0:
            return None
        fg = (alpha >= level).astype(np.uint8)
        n, _labels, stats, _ = cv2.connectedComponentsWithStats(fg, connectivity=8)
        if n <= 1:
            return None
        areas = stats[1:, cv2.CC_STAT_AREA]
        keep = [i + 1 for i in range(n - 1) if areas[i] >= 0.05 * areas.max()]
        xs = [stats[i, cv2.CC_STAT_LEFT] for i in keep] + [stats[i, 0] + stats[i, 2] for i in keep]
        ys = [stats[i, cv2.CC_STAT_TOP] for i in keep] + [stats[i, 1] + stats[i, 3] for i in keep]
        s = img_w / alpha.shape[1]
        x0, x1, y0, y1 = min(xs) * s, max(xs) * s, min(ys) * s, max(ys) * s
        mx, my = (x1 - x0) * self.plan.zoom_margin, (y1 - y0) * self.plan.zoom_margin
        x0, x1, y0, y1 = max(0.0, x0 - mx), min(img_w, x1 + mx), max(0.0, y0 - my), min(img_h, y1 + my)
        return x0, y0, x1 - x0, y1 - y0

    def segment(self, image_bgr: np.ndarray) -> Segmentation:
        t0 = time.perf_counter()
        h, w = image_bgr.shape[:2]
        s = min(1.0, self.plan.canvas / max(w, h))
        canvas_wh = (max(1, round(w * s)), max(1, round(h * s)))
        pyr = _Pyramid(image_bgr)
        whole = (0.0, 0.0, float(w), float(h))
        parts = self._pass(pyr, [(whole, 1.0)], canvas_wh, w)
        fused = self._fuse(parts)
        t1 = time.perf_counter()
        zoomed = False
        if self.plan.zoom and (len(self.segmenters) > 1 or self.plan.zoom_alone):
            box = self.subject_box(fused, w, h)
            if box is not None and box[2] * box[3] < self.plan.zoom_below * w * h:
                extra = self._pass(pyr, [(box, self.plan.zoom_weight)], canvas_wh, w, zoom=True)
                parts = [(a + ea, b + eb) for (a, b), (ea, eb) in zip(parts, extra)]
                fused = self._fuse(parts)
                zoomed = True
        t2 = time.perf_counter()
        self.last_timings = {"whole": t1 - t0, "zoom": t2 - t1, "zoomed": float(zoomed)}
        return Segmentation(fused, self.spec.input_size, 0.0, t2 - t0, 0.0)

    def close(self) -> None:
        for seg in self.segmenters:
            seg.close()
        self.segmenters = []
