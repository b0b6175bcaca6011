"""Quality of the live path's reduced-size work, on the matting crops with known truth (../shared/data/matting).

Edges: the refiner's detail cap (studio.compose.refine.LIVE_DETAIL_CAP) refines a 1080p frame at 1/2 and a 4K
frame at 1/3 of its size. The crops are 320x320, so the same factors are applied to them (k = 1, 2, 4: 320 has no
factor 3) and the alpha scaled back up bilinearly, as the compositor does without the refiner's coefficients,
and as it does with them ("edge at full size": the edge's pixels from the guided filter's a, b at full size):
SAD, MSE and gradient error against the truth (studio.stills.eval_edges, mask 4x smaller than the crop;
--mask-factor 8 is closer to live 1080p, where the capped guide still has ~4x a 256 px model's resolution),
bilinear upsampling of the mask for reference.

Halo: studio.stills.eval_halo's figure (the subject's colour in a 12 px band outside its true edge, over a blur of
21) for the plain blur and for the halo-free blur given the alpha at full size and at 1/2 (what the live path gives
it at 1080p).

    .venv/bin/python installers/eval_detail_cap.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import cv2
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from studio.compose.backgrounds import BlurBackground  # noqa: E402
from studio.compose.blend import Compositor, over_image  # noqa: E402
from studio.compose.refine import MaskRefiner  # noqa: E402
from studio.stills import eval_halo  # noqa: E402
from studio.stills.cutout import STILL_REFINE  # noqa: E402
from studio.stills.eval_edges import DEFAULT_FACTOR, edge_scores, load_mattes, shrink  # noqa: E402


def edges(mattes, factors=(1, 2, 4), mask_factor: int = DEFAULT_FACTOR) -> dict:
    sums: dict[str, dict[str, list[float]]] = {}
    for _name, bgr, alpha in mattes:
        h, w = alpha.shape
        small = shrink(alpha, mask_factor)
        runs = {"bilinear": cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)}
        for k in factors:
            cap = (max(w, h) // k, min(w, h) // k)
            refiner = MaskRefiner(STILL_REFINE, detail_cap=cap if k > 1 else None)
            out = refiner.refine(small, bgr)
            runs[f"guided 1/{k}"] = out if out.shape == (h, w) else cv2.resize(out, (w, h),
                                                                            interpolation=cv2.INTER_LINEAR)
            if k > 1:
                runs[f"guided 1/{k}, edge at full size"] = _composited_alpha(bgr, out, refiner.coefficients)
        for name, pred in runs.items():
            for key, v in edge_scores(pred, alpha).items():
                sums.setdefault(name, {}).setdefault(key, []).append(v)
    return {name: {k: round(float(np.mean(v)), 5) for k, v in d.items()} for name, d in sums.items()}


def _composited_alpha(bgr: np.ndarray, alpha: np.ndarray, coefficients) -> np.ndarray:
    """The alpha the live compositor applies (by tiles, the edge's pixels at full size from the guided filter's a, b),
    read back from composites over black and over white."""
    black, white = np.zeros_like(bgr), np.full_like(bgr, 255)
    over_black = Compositor().composite(bgr, alpha, black, coefficients=coefficients).astype(np.float32)
    over_white = Compositor().composite(bgr, alpha, white, coefficients=coefficients).astype(np.float32)
    return 1.0 - (over_white - over_black).mean(axis=2) / 255.0


def halo(mattes, davis: Path, strength: int = eval_halo.BLUR_STRENGTH) -> dict:
    size = mattes[0][1].shape[1], mattes[0][1].shape[0]
    bgs = eval_halo._backgrounds(davis, size, len(mattes))  # noqa: SLF001 - the same test pictures as studio eval
    errs: dict[str, list[float]] = {"plain": [], "halo-free, alpha at full size": [], "halo-free, alpha at 1/2": []}
    for i, (_name, fg, alpha) in enumerate(mattes):
        frame = over_image(fg, alpha, bgs[i % len(bgs)])
        band = eval_halo.band_outside(alpha)
        if not band.any():
            continue
        mask = MaskRefiner(STILL_REFINE).refine(shrink(alpha, 4), frame)
        half = cv2.resize(mask, (size[0] // 2, size[1] // 2), interpolation=cv2.INTER_AREA)
        ideal = BlurBackground(strength).render(bgs[i % len(bgs)]).copy()
        for name, given in zip(errs, (None, mask, half)):
            out = over_image(frame, mask, BlurBackground(strength).render(frame, given))
            errs[name].append(eval_halo.halo_error(out, ideal, band))
    return {name: round(float(np.mean(v)), 3) for name, v in errs.items()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", type=Path, default=Path(__file__).resolve().parent.parent.parent / "shared" / "data")
    ap.add_argument("--mask-factor", type=int, default=DEFAULT_FACTOR,
                    help="how much smaller the mask is than the crop (default 4, studio eval's; live 1080p with a "
                         "256 px model is ~8: the capped guide then still has ~4x the mask's resolution)")
    args = ap.parse_args()
    mattes = load_mattes(args.data / "matting")
    davis = next(p for p in sorted((args.data / "davis").iterdir()) if (p / "img").is_dir())
    print(json.dumps({"crops": len(mattes), "mask_factor": args.mask_factor,
                      "edges (SAD, MSE, grad; lower is better)": edges(mattes, mask_factor=args.mask_factor),
                      "halo (grey levels in the band; lower is better)": halo(mattes, davis)}, indent=2))


if __name__ == "__main__":
    main()
