"""Halo: on a blurred background, how much of the subject's colour leaks into a band outside its true edge.

Test pictures with known truth: each matting crop (../shared/data/matting, soft alpha) is composited over a real
background, a piece of a DAVIS frame where its mask says no subject (the crowd behind the dancer). The ideal output
over a blur is the subject over the blurred clean background; outside the true edge (alpha 0) that is the blurred
clean background itself. We composite as the app does (mask = the truth shrunk 4x and refined back up, as for the edge
figures) over (a) the plain blur of the frame and (b) the halo-free blur (subject masked out, renormalised), and
report the mean absolute error in grey levels (0-255) over the band of ``BAND_PX`` pixels outside the true edge.
The edge setting (``refine.edge_px``) is measured the same way over the halo-free blur: the mask moved inward trims
the fringe (less error outside) at the cost of the subject's own edge (the error in the band inside the true edge,
reported beside it, where the ideal output is the picture itself).
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from studio.stills.eval_edges import load_mattes, shrink, upsample

BAND_PX = 12
BLUR_STRENGTH = 21  # the app's default blur
EDGE_SHIFTS = (-2, -1, 0, 1)  # refine.edge_px values measured


def _backgrounds(davis_dir: Path, size: tuple[int, int], count: int) -> list[np.ndarray]:
    """Up to ``count`` crops of ``size`` from the DAVIS frames where the truth mask is empty (left or right side)."""
    from studio.stills.evaluate import pair_files, read_mask
    from studio.stills.imageio import load_image

    pairs, _ = pair_files(davis_dir / "img", davis_dir / "mask")
    w, h = size
    out = []
    for img_path, mask_path in pairs:
        img = load_image(img_path)
        if img.size[0] < w or img.size[1] < h:
            continue
        mask = read_mask(mask_path, img.size)
        for x in (0, img.size[0] - w):
            y = img.size[1] - h
            if not mask[y:y + h, x:x + w].any():
                out.append(img.bgr[y:y + h, x:x + w].copy())
                break
        if len(out) >= count:
            break
    return out


def halo_error(out: np.ndarray, ideal: np.ndarray, band: np.ndarray) -> float:
    return float(np.abs(out.astype(np.float32) - ideal.astype(np.float32))[band].mean()) if band.any() else 0.0


def band_outside(alpha: np.ndarray, px: int = BAND_PX) -> np.ndarray:
    subject = (alpha > 0.02).astype(np.uint8)
    grown = cv2.dilate(subject, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * px + 1, 2 * px + 1)))
    return (grown > 0) & (subject == 0)


def band_inside(alpha: np.ndarray, px: int = BAND_PX) -> np.ndarray:
    """The band of ``px`` pixels inside the subject's solid part (alpha near 1), along its edge."""
    solid = (alpha > 0.98).astype(np.uint8)
    shrunk = cv2.erode(solid, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * px + 1, 2 * px + 1)))
    return (solid > 0) & (shrunk == 0)


def evaluate_halo(matting_dir: str | Path, davis_dir: str | Path, *, limit: int | None = None,
                  strength: int = BLUR_STRENGTH) -> dict:
    from studio.compose.backgrounds import BlurBackground
    from studio.compose.blend import over_image

    mattes = load_mattes(matting_dir, limit)
    if not mattes:
        return {"count": 0}
    size = mattes[0][1].shape[1], mattes[0][1].shape[0]
    bgs = _backgrounds(Path(davis_dir), size, len(mattes))
    if not bgs:
        return {"count": 0}
    from studio.config.settings import RefineSettings

    plain_err, free_err = [], []
    edge_err: dict[int, tuple[list[float], list[float]]] = {e: ([], []) for e in EDGE_SHIFTS}
    for i, (_name, fg, alpha) in enumerate(mattes):
        if fg.shape[:2] != (size[1], size[0]):
            continue
        bg = bgs[i % len(bgs)]
        frame = over_image(fg, alpha, bg)
        band = band_outside(alpha)
        if not band.any():
            continue
        mask = upsample(shrink(alpha, 4), frame, "guided")
        ideal = BlurBackground(strength).render(bg).copy()
        plain = over_image(frame, mask, BlurBackground(strength).render(frame))
        free = over_image(frame, mask, BlurBackground(strength).render(frame, mask))
        plain_err.append(halo_error(plain, ideal, band))
        free_err.append(halo_error(free, ideal, band))
        inside = band_inside(alpha)
        for e, (outs, ins) in edge_err.items():
            m = upsample(shrink(alpha, 4), frame, "guided", RefineSettings(smoothing=0.0, edge_px=e))
            out = over_image(frame, m, BlurBackground(strength).render(frame, m))
            outs.append(halo_error(out, ideal, band))
            ins.append(halo_error(out, frame, inside))
    return {"count": len(plain_err), "band_px": BAND_PX, "strength": strength,
            "plain_blur": round(float(np.mean(plain_err)), 3), "halo_free_blur": round(float(np.mean(free_err)), 3),
            "edge_px": {str(e): {"outside": round(float(np.mean(o)), 3), "inside": round(float(np.mean(i)), 3)}
                        for e, (o, i) in edge_err.items()}}


def halo_lines(res: dict) -> list[str]:
    if not res.get("count"):
        return ["  halo: no test pictures"]
    return [f"  halo (blur {res['strength']}, {res['count']} composites, {res['band_px']} px band outside the edge; "
            f"mean error, grey levels)",
            f"    plain blur {res['plain_blur']:7.2f}    halo-free blur {res['halo_free_blur']:7.2f}"] + [
        f"    halo-free, refine.edge_px {e:>3s}: outside {r['outside']:6.2f}, inside {r['inside']:6.2f}"
        for e, r in res.get("edge_px", {}).items()]
