"""Regions: the wrong-chunk failures users see at once (a piece of the person missing, a piece of the room kept), as
numbers from per-image IoU: mean, median, the share of pictures under 0.8, split by how much of the picture the
subject fills (the portrait models fail outright on small, distant people)."""

from __future__ import annotations

import numpy as np

BAD_IOU = 0.8  # under this a user sees a wrong region at a glance
SMALL_SUBJECT = 0.15  # the subject (true foreground) fills less than this share of the picture: "small"


def region_stats(ious: list[float]) -> dict:
    if not ious:
        return {"count": 0, "mean_iou": None, "median_iou": None, "under_0.8": None}
    a = np.asarray(ious, dtype=np.float64)
    return {"count": int(a.size), "mean_iou": round(float(a.mean()), 4), "median_iou": round(float(np.median(a)), 4),
            "under_0.8": round(float(np.mean(a < BAD_IOU)), 4)}


def regions(scores) -> dict:
    """``scores``: ImageScore-like objects with ``iou`` and ``subject`` (true foreground share) -> all/small/large."""
    all_ = [s.iou for s in scores]
    small = [s.iou for s in scores if s.subject < SMALL_SUBJECT]
    large = [s.iou for s in scores if s.subject >= SMALL_SUBJECT]
    return {"all": region_stats(all_), f"small (<{SMALL_SUBJECT:.0%})": region_stats(small),
            f"large (>={SMALL_SUBJECT:.0%})": region_stats(large)}


def region_lines(reg: dict) -> list[str]:
    out = [f"  {'regions':18s} {'n':>4s} {'mean IoU':>9s} {'median':>8s} {'<0.8':>6s}"]
    for name, st in reg.items():
        if not st["count"]:
            continue
        out.append(f"  {name:18s} {st['count']:4d} {st['mean_iou']:9.4f} {st['median_iou']:8.4f} "
                   f"{st['under_0.8']:6.1%}")
    return out
