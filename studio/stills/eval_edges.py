"""Edges: how well the refinement brings a small mask back up to a picture's size, on soft alpha mattes (hair, fur,
lace, glass: ../shared/data/matting).

Each true alpha is shrunk ``factor`` times (INTER_AREA: what a model at a fraction of the picture's resolution can
know at best), then brought back up (a) bilinearly and (b) by our refinement guided by the picture, and compared with
the truth by the matting figures of Rhemann et al. (alphamatting.com): SAD (sum of absolute differences / 1000),
MSE, and the gradient error (squared difference of Gaussian-derivative gradient magnitudes, sigma 1.4, / 1000).
Lower is better for all three. The crops' own alpha is the truth, so this isolates the refinement from the model.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from studio.stills.evaluate import pair_files
from studio.stills.imageio import load_image

DEFAULT_FACTOR = 4  # a 1280 px frame over a 320 px model


def sad(pred: np.ndarray, truth: np.ndarray) -> float:
    return float(np.abs(pred - truth).sum() / 1000.0)


def mse(pred: np.ndarray, truth: np.ndarray) -> float:
    return float(np.mean((pred - truth) ** 2))


def _gradient_magnitude(a: np.ndarray, sigma: float = 1.4) -> np.ndarray:
    a = cv2.GaussianBlur(a.astype(np.float32), (0, 0), sigma)
    gx = cv2.Sobel(a, cv2.CV_32F, 1, 0, ksize=3) / 8.0
    gy = cv2.Sobel(a, cv2.CV_32F, 0, 1, ksize=3) / 8.0
    return np.sqrt(gx * gx + gy * gy)


def gradient_error(pred: np.ndarray, truth: np.ndarray) -> float:
    return float(((_gradient_magnitude(pred) - _gradient_magnitude(truth)) ** 2).sum() / 1000.0)


def edge_scores(pred: np.ndarray, truth: np.ndarray) -> dict:
    return {"sad": sad(pred, truth), "mse": mse(pred, truth), "grad": gradient_error(pred, truth)}


def read_alpha(path: Path, size: tuple[int, int]) -> np.ndarray:
    """A soft alpha matte as float32 [0, 1] at ``size`` = (width, height)."""
    img = load_image(path)
    grey = img.alpha if img.alpha is not None and img.bgr.min() == img.bgr.max() else \
        cv2.cvtColor(img.bgr, cv2.COLOR_BGR2GRAY)
    if grey.shape[::-1] != size:
        grey = cv2.resize(grey, size, interpolation=cv2.INTER_LINEAR)
    return grey.astype(np.float32) / 255.0


def load_mattes(matting_dir: str | Path, limit: int | None = None) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """(name, BGR image, alpha float32) for each pair of ``matting_dir``/img and ``matting_dir``/alpha."""
    root = Path(matting_dir)
    pairs, _ = pair_files(root / "img", root / "alpha")
    out = []
    for img_path, alpha_path in pairs[:limit] if limit else pairs:
        img = load_image(img_path)
        out.append((img_path.name, img.bgr, read_alpha(alpha_path, img.size)))
    return out


def shrink(alpha: np.ndarray, factor: int) -> np.ndarray:
    h, w = alpha.shape
    return cv2.resize(alpha, (max(1, w // factor), max(1, h // factor)), interpolation=cv2.INTER_AREA)


def upsample(small: np.ndarray, image_bgr: np.ndarray, method: str, refine_settings=None) -> np.ndarray:
    """``method`` "bilinear" or "guided" (the refinement stills and the live path use)."""
    h, w = image_bgr.shape[:2]
    if method == "bilinear":
        return cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    from studio.compose.refine import refine_still
    from studio.stills.cutout import STILL_REFINE

    return refine_still(small, image_bgr, refine_settings or STILL_REFINE)


def evaluate_edges(matting_dir: str | Path, *, factor: int = DEFAULT_FACTOR, limit: int | None = None,
                   methods: tuple[str, ...] = ("bilinear", "guided")) -> dict:
    """Mean SAD, MSE and gradient error per upsampling method over the matting crops."""
    mattes = load_mattes(matting_dir, limit)
    sums: dict[str, dict[str, list[float]]] = {m: {"sad": [], "mse": [], "grad": []} for m in methods}
    for _name, bgr, alpha in mattes:
        small = shrink(alpha, factor)
        for m in methods:
            for k, v in edge_scores(upsample(small, bgr, m), alpha).items():
                sums[m][k].append(v)
    return {"count": len(mattes), "factor": factor,
            **{m: {k: round(float(np.mean(v)), 5) for k, v in d.items()} for m, d in sums.items()}}


def edge_lines(res: dict) -> list[str]:
    out = [f"  edges (matting, {res['count']} crops, mask {res['factor']}x smaller)   SAD      MSE      grad"]
    for m in ("bilinear", "guided"):
        if m in res:
            r = res[m]
            out.append(f"    {m:40s} {r['sad']:7.3f} {r['mse']:8.5f} {r['grad']:8.3f}")
    return out
