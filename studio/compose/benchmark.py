"""Per-frame cost of the compose path (refine + background + composite): time and bytes allocated after warm-up.

    python -m studio.compose.benchmark [--size 1280x720] [--frames 200]

Not a test: timings on a shared machine are noisy. tracemalloc sees numpy allocations (OpenCV outputs created without
dst= are numpy arrays too), so "allocated per frame" is what the per-frame path asks of the Python allocator.
"""

from __future__ import annotations

import argparse
import time
import tracemalloc

import numpy as np

from studio.compose.backgrounds import make_background
from studio.compose.blend import Compositor
from studio.compose.refine import MaskRefiner
from studio.config.settings import BackgroundSettings, RefineSettings


def run(width: int, height: int, frames: int, kind: str, path: str = "") -> dict:
    rng = np.random.default_rng(0)
    frame = rng.integers(0, 256, (height, width, 3), np.uint8)
    small = rng.random((256, 256), np.float32)
    refiner, comp = MaskRefiner(RefineSettings(feather=2)), Compositor()
    bg = make_background(BackgroundSettings(kind=kind, path=path))
    for i in range(5):
        comp.composite(frame, refiner.refine(small, frame), bg.render(frame))
    t0 = time.perf_counter()
    for i in range(frames):
        comp.composite(frame, refiner.refine(small, frame, new_mask=i % 3 == 0), bg.render(frame))
    per_frame_ms = (time.perf_counter() - t0) / frames * 1e3
    tracemalloc.start()
    base, _ = tracemalloc.get_traced_memory()
    tracemalloc.reset_peak()
    for i in range(frames):
        comp.composite(frame, refiner.refine(small, frame, new_mask=i % 3 == 0), bg.render(frame))
    end, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    bg.close()
    return {"background": kind, "size": f"{width}x{height}", "ms_per_frame": round(per_frame_ms, 2),
            "retained_bytes_per_frame": round((end - base) / frames, 1), "peak_transient_bytes": peak - base}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--frames", type=int, default=200)
    ap.add_argument("--video", default="", help="a video file to include the video background")
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.lower().split("x"))
    kinds = [("blur", ""), ("color", ""), ("none", "")] + ([("video", args.video)] if args.video else [])
    for kind, path in kinds:
        print(run(w, h, args.frames, kind, path))


if __name__ == "__main__":
    main()
