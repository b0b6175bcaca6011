"""Flicker: pictures taken as consecutive video frames (`studio eval --sequence`, ../shared/data/davis).

Two paths per frame: "raw" (the model's mask, bilinearly resized to the frame: what a pipeline without refinement
shows) and "live" (the live output's MaskRefiner with the live settings: guided refinement and temporal smoothing,
fed one new mask per frame, as the output thread does when inference keeps up). For each: mean per-frame IoU against
the truth, and flicker = mean absolute alpha change between consecutive frames over the pixels whose truth does not
change (on a still part of the picture any change is shimmer). Flicker is reported x1000.
"""

from __future__ import annotations

import time
from pathlib import Path

import cv2
import numpy as np

from studio.stills.evaluate import iou, pair_files, read_mask
from studio.stills.imageio import load_image


def _flicker(prev: np.ndarray, cur: np.ndarray, same: np.ndarray) -> float:
    n = np.count_nonzero(same)
    return float(np.abs(cur - prev)[same].sum() / n) if n else 0.0


def evaluate_sequence(images_dir: str | Path, masks_dir: str | Path, *, model: str = "selfie", backend: str = "auto",
                      device: str = "auto", limit: int | None = None, live_settings=None, progress=None) -> dict:
    """{"model", "backend", "count", "raw": {...}, "live": {...}} with mean_iou, flicker (x1000), ms_per_frame."""
    from studio.compose.refine import MaskRefiner
    from studio.config.settings import RefineSettings
    from studio.inference import open_segmenter

    pairs, _ = pair_files(Path(images_dir), Path(masks_dir))
    pairs = sorted(pairs, key=lambda p: p[0].name)[:limit] if limit else sorted(pairs, key=lambda p: p[0].name)
    live_settings = live_settings or RefineSettings()
    refiner = MaskRefiner(live_settings)
    paths = {"raw": {"iou": [], "flicker": [], "ms": []}, "live": {"iou": [], "flicker": [], "ms": []}}
    prev: dict[str, np.ndarray] = {}
    prev_truth = None
    seg = open_segmenter(model, backend, device)
    try:
        label = seg.backend_label
        for img_path, mask_path in pairs:
            img = load_image(img_path)
            truth = read_mask(mask_path, img.size)
            s = seg.segment(img.bgr)
            h, w = img.bgr.shape[:2]
            t0 = time.perf_counter()
            raw = cv2.resize(s.alpha, (w, h), interpolation=cv2.INTER_LINEAR)
            t1 = time.perf_counter()
            live = refiner.refine(s.alpha, img.bgr, new_mask=True).copy()
            t2 = time.perf_counter()
            same = truth == prev_truth if prev_truth is not None else None
            for name, alpha, ms in (("raw", raw, t1 - t0), ("live", live, t2 - t1)):
                d = paths[name]
                d["iou"].append(iou(alpha >= 0.5, truth))
                d["ms"].append(1000 * (ms + s.total_seconds))
                if same is not None:
                    d["flicker"].append(_flicker(prev[name], alpha, same))
                prev[name] = alpha
            prev_truth = truth
            if progress is not None:
                progress()
    finally:
        seg.close()
    out = {"model": model, "backend": label, "count": len(pairs),
           "live_settings": {"smoothing": live_settings.smoothing, "guided": live_settings.guided}}
    for name, d in paths.items():
        out[name] = {"mean_iou": round(float(np.mean(d["iou"])), 4),
                     "flicker": round(1000 * float(np.mean(d["flicker"])) if d["flicker"] else 0.0, 3),
                     "ms_per_frame": round(float(np.median(d["ms"])), 2)}
    return out


def flicker_lines(res: dict) -> list[str]:
    out = [f"  flicker ({res['count']} frames)        mean IoU   flicker x1e-3   ms/frame (segment + to frame size)"]
    for name in ("raw", "live"):
        r = res[name]
        out.append(f"    {name:28s} {r['mean_iou']:8.4f} {r['flicker']:14.3f} {r['ms_per_frame']:10.1f}")
    return out
