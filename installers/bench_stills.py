"""Studio's `studio process` against rembg's `rembg p` on one folder: wall time, alternating runs, and IoU of each
one's cutouts (alpha >= 128) against truth masks. A reference script, not part of the app.

    flock /tmp/studio-bench.lock python installers/bench_stills.py --images IN --masks MASKS \\
        --rembg /tmp/rembg-venv/bin/rembg --rounds 3 [--variant NAME='ARGS' ...]

rembg needs its model where it looks (U2NET_HOME/u2netp.onnx); Studio's resources/models/u2netp.onnx is the same file
(md5 8e83ca70e441ab06c318d82300c84806, the one rembg pins). Each variant is `studio process IN --out DIR --model
u2netp ARGS`; the default variants are the overlapped engine and the sequential one.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import cv2
import numpy as np


def run(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def mean_iou(out_dir: Path, masks: Path, images: Path) -> float:
    scores = []
    for img in sorted(images.iterdir()):
        out, truth_path = out_dir / f"{img.stem}.png", masks / f"{img.stem}.png"
        if not truth_path.is_file():
            continue
        rgba = cv2.imread(str(out), cv2.IMREAD_UNCHANGED)
        pred = rgba[:, :, 3] >= 128
        truth = cv2.imread(str(truth_path), cv2.IMREAD_GRAYSCALE)
        if truth.shape != pred.shape:
            truth = cv2.resize(truth, pred.shape[::-1], interpolation=cv2.INTER_NEAREST)
        truth = truth >= 128
        union = np.count_nonzero(pred | truth)
        scores.append(1.0 if union == 0 else np.count_nonzero(pred & truth) / union)
    return float(np.mean(scores))


class _PlanCutter:
    """A Cutter on a segmenter opened with a precision plan's runtime options (the engine needs cut/label/report)."""

    def __init__(self, plan: str) -> None:
        from studio.inference import open_segmenter
        from studio.inference.precision import backend_options

        opts = backend_options(plan) or {"openvino": {"precision": "f32"}}  # fp32 even if the model's default is not
        self.segmenter = open_segmenter("u2netp", "openvino", "cpu", backend_options=opts)
        self.report = self.segmenter.report
        self.backend_label = self.segmenter.backend_label

    def cut(self, bgr, *, prep=None):
        from studio.stills.cutout import cut_out

        return cut_out(self.segmenter, bgr, prep=prep)


def engines(images: Path, masks: Path, plans: list[str], rounds: int) -> dict:
    """Pictures per second of the sequential and the overlapped engine (in process, model opened once) per plan,
    alternating, and the plan's IoU against the truth."""
    from studio.stills.batch import BatchOptions
    from studio.stills.engine import records
    from studio.stills.inputs import expand_inputs, plan_outputs

    files, _ = expand_inputs([images])
    cutters = {plan: _PlanCutter(plan) for plan in plans}
    times: dict[str, list[float]] = {}
    ious: dict[str, float] = {}
    work = Path(tempfile.mkdtemp(prefix="bench-engines-"))
    try:
        for r in range(rounds):
            for plan, cutter in (cutters.items() if r % 2 == 0 else reversed(cutters.items())):
                for engine in (("sequential", "overlap") if r % 2 == 0 else ("overlap", "sequential")):
                    out = work / f"{plan}-{engine}"
                    todo = plan_outputs(files, out, "png")
                    t0 = time.perf_counter()
                    for _ in records(todo, cutter, BatchOptions(), engine):
                        pass
                    times.setdefault(f"{engine} {plan}", []).append(time.perf_counter() - t0)
                    if plan not in ious:
                        ious[plan] = mean_iou(out, masks, images)
                    shutil.rmtree(out)
                    print(f"round {r + 1} {engine} {plan}: {times[f'{engine} {plan}'][-1]:.2f} s", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report = {}
    for name, ts in times.items():
        med = statistics.median(ts)
        plan = name.split()[1]
        report[name] = {"median_s": round(med, 2), "pictures_per_s": round(len(files) / med, 2),
                        "iou": round(ious[plan], 4)}
        print(f"{name:20s} {len(files) / med:5.2f} pictures/s (median {med:.2f} s)  IoU {ious[plan]:.4f}")
    return report


def ray_engine(images: Path, workers: list[int], rounds: int) -> dict:
    """Pictures per second of `--engine ray` on a local Ray (started once, before timing) with N actors; each run
    includes its actors' start and model load, as a real run would."""
    from studio.stills.batch import process_batch
    from studio.stills.ray_engine import init

    init()
    n = len([p for p in images.iterdir() if p.is_file()])
    times: dict[int, list[float]] = {w: [] for w in workers}
    work = Path(tempfile.mkdtemp(prefix="bench-ray-"))
    try:
        for r in range(rounds):
            for w in (workers if r % 2 == 0 else list(reversed(workers))):
                t0 = time.perf_counter()
                res = process_batch([images], work / f"{w}-{r}", model="u2netp", engine="ray",
                                    engine_options={"workers": w})
                times[w].append(time.perf_counter() - t0)
                assert len(res.written) == n, res.failed
                print(f"round {r + 1} ray x{w}: {times[w][-1]:.2f} s", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report = {}
    for w, ts in times.items():
        med = statistics.median(ts)
        report[f"ray x{w}"] = {"median_s": round(med, 2), "pictures_per_s": round(n / med, 2)}
        print(f"ray x{w}: {n / med:5.2f} pictures/s (median {med:.2f} s)")
    return report


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=Path, required=True)
    ap.add_argument("--masks", type=Path, required=True)
    ap.add_argument("--rembg", default="rembg", help="the rembg command (its own venv)")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--variant", action="append", default=[], metavar="NAME=ARGS",
                    help="a studio variant: extra arguments for studio process (repeatable)")
    ap.add_argument("--json", type=Path, help="write the figures here too")
    ap.add_argument("--engines", metavar="PLANS", help="instead: the engines in process, per precision plan "
                                                      "(e.g. fp32,bf16), without rembg")
    ap.add_argument("--ray", metavar="WORKERS", help="instead: --engine ray on a local Ray with these numbers of "
                                                      "workers (e.g. 1,2)")
    args = ap.parse_args()
    if args.ray:
        report = ray_engine(args.images, [int(w) for w in args.ray.split(",")], args.rounds)
        if args.json:
            args.json.write_text(json.dumps(report, indent=1))
        return 0
    if args.engines:
        report = engines(args.images, args.masks, args.engines.split(","), args.rounds)
        if args.json:
            args.json.write_text(json.dumps(report, indent=1))
        return 0
    variants = dict(v.split("=", 1) for v in args.variant) or {"studio": "", "studio-sequential": "--engine sequential"}
    studio = [sys.executable, "-m", "studio", "process"]
    cmds = {"rembg": lambda out: [args.rembg, "p", "-m", "u2netp", str(args.images), str(out)]}
    for name, extra in variants.items():
        cmds[name] = (lambda extra: lambda out: [*studio, str(args.images), "--out", str(out), "--model", "u2netp",
                                                 *extra.split()])(extra)
    times: dict[str, list[float]] = {k: [] for k in cmds}
    ious: dict[str, float] = {}
    work = Path(tempfile.mkdtemp(prefix="bench-stills-"))
    try:
        for r in range(args.rounds):
            order = list(cmds) if r % 2 == 0 else list(reversed(cmds))  # alternate who goes first
            for name in order:
                out = work / f"{name}-{r}"
                times[name].append(run(cmds[name](out)))
                if name not in ious:
                    ious[name] = mean_iou(out, args.masks, args.images)
                shutil.rmtree(out)
                print(f"round {r + 1} {name}: {times[name][-1]:.2f} s", flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    n = len(list(p for p in args.images.iterdir() if p.is_file()))
    base = statistics.median(times["rembg"])
    report = {}
    for name, ts in times.items():
        med = statistics.median(ts)
        report[name] = {"median_s": round(med, 2), "runs_s": [round(t, 2) for t in ts], "pictures_per_s":
                        round(n / med, 2), "ratio_to_rembg": round(med / base, 3), "iou": round(ious[name], 4)}
        print(f"{name:24s} median {med:6.2f} s  {n / med:5.2f} pictures/s  x{med / base:.3f} of rembg  "
              f"IoU {ious[name]:.4f}")
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
