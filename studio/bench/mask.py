"""`studio bench mask`: frame in -> mask at frame size, per model x backend, on real frames.

This is the figure to hold against MediaPipe's own pipeline (installers/bench_mediapipe_reference.py times
SelfieSegmentation.process on the same frames: the ASL clips, decoded up front and resized to --size). Two ways to
reach frame size are timed: "resize" (bilinear, what MediaPipe does) and "guided" (our edge-aware MaskRefiner, what
the live output uses). Frames and masks stay in memory, so decoding is not timed.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import cv2
import numpy as np

from studio.core import paths


def register(sub) -> None:
    p = sub.add_parser("mask", help="frame in -> frame-size mask, per model x backend (vs MediaPipe's pipeline)",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=None,
                   help="test material folder holding video/asl (default: shared/data beside the repository, found "
                        "from the repository root whatever the current folder; $STUDIO_SHARED_DATA overrides)")
    p.add_argument("--frames", type=int, default=100, help="frames timed per row (default 100)")
    p.add_argument("--warmup", type=int, default=10, help="untimed frames first (default 10)")
    p.add_argument("--size", default="1280x720", help="WIDTHxHEIGHT the frames are resized to")
    p.add_argument("--models", default="selfie,selfie-landscape", help="comma-separated model names")
    p.add_argument("--backends", default="onnxruntime,openvino", help="comma-separated backends")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run)


def load_frames(video_dir: Path, count: int, size: tuple[int, int]) -> list[np.ndarray]:
    clips = sorted(video_dir.glob("*.mkv"))
    frames: list[np.ndarray] = []
    for clip in clips:
        cap = cv2.VideoCapture(str(clip))
        try:
            while len(frames) < count:
                ok, bgr = cap.read()
                if not ok:
                    break
                frames.append(cv2.resize(bgr, size, interpolation=cv2.INTER_LINEAR))
        finally:
            cap.release()
        if len(frames) >= count:
            break
    return frames


def _stats(ms: list[float]) -> dict[str, float]:
    s = sorted(ms)
    return {"p50": round(statistics.median(s), 2), "p10": round(s[len(s) // 10], 2),
            "p90": round(s[(len(s) * 9) // 10], 2)}


def time_model(model: str, backend_name: str, frames: list[np.ndarray], warmup: int) -> dict:
    from studio.compose.refine import MaskRefiner
    from studio.config import RefineSettings
    from studio.inference import open_segmenter

    seg = open_segmenter(model, backend_name)
    refiner = MaskRefiner(RefineSettings(smoothing=0.0))
    h, w = frames[0].shape[:2]
    up = np.empty((h, w), np.float32)
    resize_ms, guided_ms, segment_ms = [], [], []
    try:
        for i, frame in enumerate(frames[:warmup] + frames):
            t0 = time.perf_counter()
            s = seg.segment(frame)
            t1 = time.perf_counter()
            cv2.resize(s.alpha, (w, h), dst=up, interpolation=cv2.INTER_LINEAR)
            t2 = time.perf_counter()
            refiner.refine(s.alpha, frame, new_mask=True)
            t3 = time.perf_counter()
            if i >= warmup:
                segment_ms.append((t1 - t0) * 1e3)
                resize_ms.append((t2 - t0) * 1e3)
                guided_ms.append((t1 - t0 + t3 - t2) * 1e3)
    finally:
        seg.close()
    return {"model": model, "backend": seg.backend_label, "frame": f"{w}x{h}",
            "input": "x".join(map(str, s.input_size)), "segment_ms": _stats(segment_ms),
            "to_frame_resize_ms": _stats(resize_ms), "to_frame_guided_ms": _stats(guided_ms)}


def run(args) -> int:
    from studio.core.errors import StudioError

    data = args.data or paths.shared_data_dir()
    if data is None or not (Path(data) / "video" / "asl").is_dir():
        raise StudioError("no test clips found", hint="pass --data pointing at the folder that holds video/asl")
    w, h = (int(v) for v in args.size.lower().split("x"))
    frames = load_frames(Path(data) / "video" / "asl", args.frames, (w, h))
    rows = [time_model(m, b, frames, args.warmup)
            for m in args.models.split(",") for b in args.backends.split(",")]
    if args.json:
        print(json.dumps({"frames": len(frames), "rows": rows}, indent=2))
        return 0
    print(f"{len(frames)} frames at {w}x{h}; ms per frame, p50 (p10-p90)")
    print(f"{'model':<18}{'backend':<30}{'input':<9}{'segment':>20}{'+ resize':>20}{'+ guided':>20}")
    for r in rows:
        cells = [f"{r[k]['p50']:.2f} ({r[k]['p10']:.1f}-{r[k]['p90']:.1f})"
                 for k in ("segment_ms", "to_frame_resize_ms", "to_frame_guided_ms")]
        print(f"{r['model']:<18}{r['backend'][:29]:<30}{r['input']:<9}" + "".join(f"{c:>20}" for c in cells))
    return 0
