"""Precision plans measured against fp32: IoU and boundary F on pictures with ground-truth masks, the largest and
mean difference of each mask from the fp32 one, and inference time.

    python -m studio.bench.precision --models selfie,u2netp --images ../shared/data/portraits/img \\
        --masks ../shared/data/portraits/mask [--plans fp32,fp16,mixed,int8,bf16] [--limit N] [--json OUT]

Masks are compared at the model's output size (before refinement, so the difference is the plan's alone); IoU and
boundary F go through the same refinement as `studio eval`. Files for each plan are written to a work folder
(engines/precision/ by default) and reused when present. ``pick_default`` applies the rule the defaults come from:
the fastest plan whose mean IoU is less than 0.5 points below fp32's.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

IOU_BUDGET = 0.005  # 0.5 IoU points
MIN_SPEEDUP = 0.10  # a plan must be at least 10 % faster than fp32 to be worth its risk (timing noise is ~5 %)


@dataclass
class PlanRow:
    model: str
    plan: str
    backend: str
    iou: float
    boundary_f: float
    max_diff: float
    mean_diff: float
    infer_ms: float
    images: int


def plan_file(spec, plan: str, workdir: Path, calibration: list[Path]) -> Path:
    from studio.inference.precision import apply_plan

    if plan in ("fp32", "bf16"):
        return spec.path()
    out = workdir / f"{spec.name}-{spec.sha256[:12]}-{plan}.onnx"
    if not out.is_file():
        apply_plan(spec.path(), out, plan, spec=spec, calibration=calibration)
    return out


def measure(model: str, plans: list[str], images: Path, masks: Path, *, limit: int | None = None,
            backend: str = "openvino", device: str = "cpu", workdir: Path | None = None) -> list[PlanRow]:
    """Every plan opened at once and run in turn on each picture, so that load on a shared box falls on all plans
    alike (the timing compared is each plan's median inference time over the same moments)."""
    from studio.compose.refine import refine_still
    from studio.core import paths
    from studio.inference import open_segmenter
    from studio.inference.precision import backend_options
    from studio.models import default_registry
    from studio.stills.cutout import STILL_REFINE
    from studio.stills.evaluate import boundary_f, iou, pair_files, read_mask
    from studio.stills.imageio import load_image

    spec = default_registry().get(model)
    workdir = workdir or paths.engines_dir() / "precision"
    pairs, _ = pair_files(images, masks)
    pairs = pairs[:limit] if limit else pairs
    order = ["fp32"] + [p for p in plans if p != "fp32"]
    segs = {}
    try:
        for plan in order:
            path = plan_file(spec, plan, workdir, [p for p, _ in pairs])
            planned = spec if plan in ("fp32", "bf16") else replace(spec, file=str(path.resolve()), embedded=False,
                                                                    sha256="")
            segs[plan] = open_segmenter(planned, backend, device, backend_options=backend_options(plan))
        stats = {plan: {"iou": [], "bf": [], "max": [], "mean": [], "ms": []} for plan in order}
        for n, (img_path, mask_path) in enumerate(pairs):
            pic = load_image(img_path)
            truth = read_mask(mask_path, pic.size)
            reference = None
            for plan in order:
                if n == 0:
                    segs[plan].segment(pic.bgr)  # warm-up (compilation, first-run allocations)
                out = segs[plan].segment(pic.bgr)
                reference = out.alpha if plan == "fp32" else reference
                diff = np.abs(out.alpha - reference)
                pred = refine_still(out.alpha, pic.bgr, STILL_REFINE) >= 0.5
                st = stats[plan]
                st["ms"].append(out.infer_seconds * 1000)
                st["max"].append(float(diff.max()))
                st["mean"].append(float(diff.mean()))
                st["iou"].append(iou(pred, truth))
                st["bf"].append(boundary_f(pred, truth))
        rows = []
        for plan in order:
            st = stats[plan]
            rows.append(PlanRow(model, plan, segs[plan].backend_label, float(np.mean(st["iou"])),
                                float(np.mean(st["bf"])), float(np.max(st["max"])), float(np.mean(st["mean"])),
                                statistics.median(st["ms"]), len(pairs)))
            print(_line(rows[-1]), flush=True)
    finally:
        for seg in segs.values():
            seg.close()
    return [r for r in rows if r.plan in plans or r.plan == "fp32"]


def pick_default(rows: list[PlanRow], budget: float = IOU_BUDGET, min_speedup: float = MIN_SPEEDUP) -> PlanRow:
    """The fastest plan whose mean IoU is within ``budget`` of fp32's and that is at least ``min_speedup`` faster
    than fp32 (else fp32: a plan that only wins by timing noise is not worth a changed mask)."""
    base = next(r for r in rows if r.plan == "fp32")
    ok = [r for r in rows if r.plan == "fp32" or
          (base.iou - r.iou < budget and r.infer_ms <= base.infer_ms * (1 - min_speedup))]
    return min(ok, key=lambda r: r.infer_ms)


def _line(r: PlanRow) -> str:
    return (f"{r.model:<17}{r.plan:<7}IoU {r.iou:.4f}  BF {r.boundary_f:.4f}  max diff {r.max_diff:.3f}  "
            f"mean diff {r.mean_diff:.4f}  {r.infer_ms:7.1f} ms  ({r.images} images, {r.backend})")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m studio.bench.precision", description=__doc__.split("\n\n")[0])
    p.add_argument("--models", default="selfie,selfie-landscape,u2netp")
    p.add_argument("--plans", default="fp32,fp16,mixed,int8,bf16")
    p.add_argument("--images", required=True, type=Path)
    p.add_argument("--masks", required=True, type=Path)
    p.add_argument("--limit", type=int, default=0)
    p.add_argument("--backend", default="openvino")
    p.add_argument("--device", default="cpu")
    p.add_argument("--json", type=Path, help="write the rows and the chosen defaults here")
    args = p.parse_args(argv)
    plans = args.plans.split(",")
    report = {}
    for model in args.models.split(","):
        rows = measure(model, plans, args.images, args.masks, limit=args.limit or None, backend=args.backend,
                       device=args.device)
        best = pick_default(rows)
        print(f"{model}: default plan {best.plan} (fastest within {IOU_BUDGET * 100:.1f} IoU points of fp32 and "
              f"{MIN_SPEEDUP:.0%} faster)")
        report[model] = {"rows": [asdict(r) for r in rows], "default": best.plan}
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
