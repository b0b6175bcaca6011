"""Held objects: is what the person holds kept? (obs-backgroundremoval #577: "arms and hands get cut out")

A small test set with known truth, built on the fly from real cutouts: a person from the portraits (one who fills at
least 15 % of the picture, so there is an arm to hold something) and an object from the matting crops (its soft
alpha; crops whose alpha covers 20-80 % of the crop), scaled to a quarter of the person's height and pasted so that it
overlaps the person's silhouette at the side, about two thirds down (where hands are). The truth is the union. Scores:
"kept", the share of the object's own pixels (object, not person) cut out as foreground, and the IoU of the whole.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from studio.stills.eval_edges import load_mattes
from studio.stills.evaluate import iou, pair_files, read_mask
from studio.stills.imageio import load_image

MIN_SUBJECT = 0.15
OBJECT_HEIGHT = 0.25  # of the person's box height


def _objects(matting_dir: Path, limit: int) -> list[tuple[np.ndarray, np.ndarray]]:
    out = []
    for _name, bgr, alpha in load_mattes(matting_dir):
        if 0.2 <= float(np.mean(alpha >= 0.5)) <= 0.8:
            out.append((bgr, alpha))
        if len(out) >= limit:
            break
    return out


def paste_at_hand(person_bgr: np.ndarray, person: np.ndarray, obj_bgr: np.ndarray, obj_alpha: np.ndarray,
                  side: int) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """(picture, truth union, object-only pixels), or None when the person's box leaves no room."""
    ys, xs = np.nonzero(person)
    if ys.size == 0:
        return None
    y0, y1 = ys.min(), ys.max()
    h, w = person.shape
    size = max(8, int(OBJECT_HEIGHT * (y1 - y0)))
    row = int(y0 + 0.66 * (y1 - y0))
    cols = np.nonzero(person[row])[0]
    if cols.size == 0:
        return None
    edge = cols.max() if side > 0 else cols.min()
    cx = int(edge + side * size * 0.3)  # the object's centre just outside the silhouette: it overlaps the arm
    x0, yy0 = cx - size // 2, row - size // 2
    if x0 < 0 or yy0 < 0 or x0 + size > w or yy0 + size > h:
        return None
    o = cv2.resize(obj_bgr, (size, size), interpolation=cv2.INTER_AREA)
    a = cv2.resize(obj_alpha, (size, size), interpolation=cv2.INTER_AREA)
    img = person_bgr.copy()
    roi = img[yy0:yy0 + size, x0:x0 + size].astype(np.float32)
    mixed = a[..., None] * o + (1 - a[..., None]) * roi + 0.5
    img[yy0:yy0 + size, x0:x0 + size] = np.clip(mixed, 0, 255).astype(np.uint8)
    obj = np.zeros_like(person)
    obj[yy0:yy0 + size, x0:x0 + size] = a >= 0.5
    return img, person | obj, obj & ~person


def build_held_set(portraits_dir: str | Path, matting_dir: str | Path, limit: int | None = None) -> list[tuple]:
    """[(name, picture, truth, object-only pixels)] (deterministic)."""
    root = Path(portraits_dir)
    pairs, _ = pair_files(root / "img", root / "mask")
    objects = _objects(Path(matting_dir), 64)
    out = []
    for i, (img_path, mask_path) in enumerate(pairs):
        img = load_image(img_path)
        person = read_mask(mask_path, img.size)
        if person.mean() < MIN_SUBJECT or not objects:
            continue
        obj_bgr, obj_alpha = objects[len(out) % len(objects)]
        made = paste_at_hand(img.bgr, person, obj_bgr, obj_alpha, 1 if i % 2 == 0 else -1) or \
            paste_at_hand(img.bgr, person, obj_bgr, obj_alpha, -1 if i % 2 == 0 else 1)
        if made is None or not made[2].any():
            continue
        out.append((img_path.name, *made))
        if limit and len(out) >= limit:
            break
    return out


def evaluate_held(cut, portraits_dir: str | Path, matting_dir: str | Path, *, limit: int | None = None) -> dict:
    """``cut(bgr) -> alpha`` at the picture's size (e.g. a Cutter's cut)."""
    kept, ious = [], []
    for _name, img, truth, obj in build_held_set(portraits_dir, matting_dir, limit):
        pred = cut(img) >= 0.5
        kept.append(np.count_nonzero(pred & obj) / np.count_nonzero(obj))
        ious.append(iou(pred, truth))
    if not kept:
        return {"count": 0}
    return {"count": len(kept), "object_kept": round(float(np.mean(kept)), 4),
            "object_kept_median": round(float(np.median(kept)), 4), "mean_iou": round(float(np.mean(ious)), 4)}


def held_lines(res: dict) -> list[str]:
    if not res.get("count"):
        return ["  held objects: no test pictures"]
    return [f"  held objects ({res['count']} pictures)  object kept {res['object_kept']:.1%} "
            f"(median {res['object_kept_median']:.1%})   IoU with object {res['mean_iou']:.4f}"]
