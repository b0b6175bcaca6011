"""Accuracy of a model against ground-truth masks: mean IoU, MAE and boundary F-measure.

Pairs images and masks by file stem. A mask of another size than its image is resized to the image with nearest
neighbour (the portraits set has some). Predictions go through the same path as `studio process` (segment, refine).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import cv2
import numpy as np

from studio.core.errors import StudioError
from studio.stills.eval_regions import regions
from studio.stills.imageio import IMAGE_SUFFIXES, load_image

BOUNDARY_TOLERANCE_PX = 2


@dataclass
class ImageScore:
    name: str
    iou: float
    mae: float
    boundary_f: float
    size: tuple[int, int]
    seconds: float
    subject: float = 0.0  # share of the picture the true foreground covers (regions are split by it)


@dataclass
class EvalResult:
    model: str
    backend: str
    quality: str = "fast"
    scores: list[ImageScore] = field(default_factory=list)
    unpaired: list[str] = field(default_factory=list)  # images without a mask
    tolerance_px: int = BOUNDARY_TOLERANCE_PX

    @property
    def count(self) -> int:
        return len(self.scores)

    def mean(self, attr: str) -> float:
        return float(np.mean([getattr(s, attr) for s in self.scores])) if self.scores else float("nan")

    def summary(self) -> dict:
        return {"model": self.model, "backend": self.backend, "count": self.count,
                "mean_iou": round(self.mean("iou"), 4), "mae": round(self.mean("mae"), 4),
                "boundary_f": round(self.mean("boundary_f"), 4), "tolerance_px": self.tolerance_px,
                "seconds_per_image": round(self.mean("seconds"), 4), "unpaired": self.unpaired,
                "quality": self.quality, "regions": regions(self.scores)}

    def to_dict(self) -> dict:
        return {**self.summary(), "images": [asdict(s) for s in self.scores]}


def iou(pred: np.ndarray, truth: np.ndarray) -> float:
    """Binary masks; two empty masks agree perfectly."""
    union = np.count_nonzero(pred | truth)
    return 1.0 if union == 0 else np.count_nonzero(pred & truth) / union


def boundary(mask: np.ndarray) -> np.ndarray:
    """One-pixel inner boundary of a binary mask: mask pixels with a background 4-neighbour."""
    m = mask.astype(np.uint8)
    eroded = cv2.erode(m, cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3)), borderType=cv2.BORDER_REPLICATE)
    return (m - eroded).astype(bool)


def boundary_f(pred: np.ndarray, truth: np.ndarray, tolerance: int = BOUNDARY_TOLERANCE_PX) -> float:
    """F-measure of boundary pixels matched within ``tolerance`` px (precision: predicted boundary near a true one;
    recall: true boundary near a predicted one), as in the DAVIS contour accuracy."""
    bp, bt = boundary(pred), boundary(truth)
    np_, nt = np.count_nonzero(bp), np.count_nonzero(bt)
    if np_ == 0 and nt == 0:
        return 1.0
    if np_ == 0 or nt == 0:
        return 0.0
    disk = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * tolerance + 1, 2 * tolerance + 1))
    near_t = cv2.dilate(bt.astype(np.uint8), disk).astype(bool)
    near_p = cv2.dilate(bp.astype(np.uint8), disk).astype(bool)
    precision = np.count_nonzero(bp & near_t) / np_
    recall = np.count_nonzero(bt & near_p) / nt
    return 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)


def read_mask(path: Path, size: tuple[int, int]) -> np.ndarray:
    """A ground-truth mask as bool at ``size`` = (width, height) (nearest neighbour when it differs)."""
    img = load_image(path)
    grey = cv2.cvtColor(img.bgr, cv2.COLOR_BGR2GRAY)
    if img.alpha is not None and grey.min() == grey.max():
        grey = img.alpha  # a cutout-style mask: the information is in the alpha channel
    if grey.shape[::-1] != size:
        grey = cv2.resize(grey, size, interpolation=cv2.INTER_NEAREST)
    return grey >= 128


def pair_files(images_dir: Path, masks_dir: Path) -> tuple[list[tuple[Path, Path]], list[str]]:
    for d, what in ((images_dir, "images"), (masks_dir, "masks")):
        if not d.is_dir():
            raise StudioError(f"{what} folder not found: {d}", hint="give an existing folder")
    masks = {p.stem: p for p in sorted(masks_dir.iterdir()) if p.suffix.lower() in IMAGE_SUFFIXES}
    pairs, unpaired = [], []
    for img in sorted(images_dir.iterdir(), key=lambda p: (len(p.stem), p.stem)):
        if img.suffix.lower() not in IMAGE_SUFFIXES:
            continue
        if img.stem in masks:
            pairs.append((img, masks[img.stem]))
        else:
            unpaired.append(img.name)
    if not pairs:
        raise StudioError(f"no image in {images_dir} has a mask of the same name in {masks_dir}",
                          hint="images and masks are paired by file name without extension (1.jpg <-> 1.png)")
    return pairs, unpaired


def evaluate(images_dir: str | Path, masks_dir: str | Path, *, model: str = "u2netp", backend: str = "auto",
             device: str = "auto", limit: int | None = None, refine: bool = True,
             progress: bool | None = None, quality: str = "fast") -> EvalResult:
    """Score ``model`` on every image/mask pair. ``progress``: a tqdm bar on stderr (None: when stderr is a
    terminal)."""
    from studio.stills.cutout import Cutter

    pairs, unpaired = pair_files(Path(images_dir), Path(masks_dir))
    if limit:
        pairs = pairs[:limit]
    with Cutter(model, backend, device, quality=quality) as cutter:
        result = EvalResult(model, cutter.backend_label, quality, unpaired=unpaired)
        bar = _bar(pairs, progress)
        for img_path, mask_path in (bar if bar is not None else pairs):
            t0 = time.perf_counter()
            img = load_image(img_path)
            cut = cutter.cut(img.bgr, refine=refine)
            seconds = time.perf_counter() - t0
            truth = read_mask(mask_path, img.size)
            pred = cut.alpha >= 0.5
            result.scores.append(ImageScore(
                img_path.name, iou(pred, truth), float(np.abs(cut.alpha - truth).mean()), boundary_f(pred, truth),
                img.size, seconds, float(truth.mean())))
            if bar is not None:
                bar.set_postfix_str(f"IoU {result.mean('iou'):.3f}", refresh=False)
        if bar is not None:
            bar.close()
    return result


def _bar(pairs: list, enabled: bool | None):
    import sys

    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(pairs, unit="img", file=sys.stderr, desc="eval")
