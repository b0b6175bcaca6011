"""Time MediaPipe 0.10.14's own selfie segmentation pipeline: the yardstick for studio's converted models.

Needs the same throwaway venv as make_mediapipe_reference.py (mediapipe needs numpy<2):

    python3.11 -m venv /tmp/mpvenv
    /tmp/mpvenv/bin/pip install mediapipe==0.10.14 "numpy<2"
    /tmp/mpvenv/bin/python installers/bench_mediapipe_reference.py [--frames 100] [--size 1280x720]

What is timed: SelfieSegmentation.process(frame) -> frame-size float mask, for model_selection 0 (general) and 1
(landscape), one call per frame, median over --frames frames after a warm-up. Frames come from the ASL clips in
../shared/data/video/asl (640x480), decoded up front and resized to --size so decoding is not timed.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]


def load_frames(video_dir: Path, count: int, size: tuple[int, int]) -> list[np.ndarray]:
    """The very frames `studio bench mask` times (its loader, so both sides see the same pixels), in RGB."""
    sys.path.insert(0, str(REPO))
    from studio.bench.mask import load_frames as studio_frames

    frames = [np.ascontiguousarray(bgr[:, :, ::-1]) for bgr in studio_frames(video_dir, count, size)]
    if not frames:
        raise SystemExit(f"no clips in {video_dir}")
    return frames


def bench(selection: int, frames: list[np.ndarray], warmup: int) -> dict[str, float]:
    import mediapipe as mp

    with mp.solutions.selfie_segmentation.SelfieSegmentation(model_selection=selection) as seg:
        for frame in frames[:warmup]:
            seg.process(frame)
        times = []
        for frame in frames:
            t0 = time.perf_counter()
            mask = seg.process(frame).segmentation_mask
            times.append((time.perf_counter() - t0) * 1000.0)
            if mask.shape != frame.shape[:2]:
                raise RuntimeError(f"mask {mask.shape} is not frame-size {frame.shape[:2]}")
    times.sort()
    return {
        "median_ms": statistics.median(times),
        "p10_ms": times[len(times) // 10],
        "p90_ms": times[(len(times) * 9) // 10],
        "min_ms": times[0],
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--frames", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--size", default="1280x720", help="WIDTHxHEIGHT of the frames fed to MediaPipe")
    args = parser.parse_args(argv)

    import os

    import mediapipe as mp

    width, height = (int(v) for v in args.size.lower().split("x"))
    frames = load_frames(args.data / "video" / "asl", args.frames, (width, height))
    print(f"mediapipe {mp.__version__}, {len(frames)} frames {width}x{height}, {os.cpu_count()} CPUs")
    for name, selection in (("general", 0), ("landscape", 1)):
        r = bench(selection, frames, args.warmup)
        print(
            f"{name:9} median {r['median_ms']:.2f} ms  (p10 {r['p10_ms']:.2f}, p90 {r['p90_ms']:.2f}, "
            f"min {r['min_ms']:.2f})  frame in -> frame-size mask"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
