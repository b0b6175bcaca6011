"""TensorRT bench for tests/gpu/run.sh: per model, engine build/load time and infer p50/p95 at each frame size,
for native TensorRT (fp32, fp16) and ONNX Runtime CUDA, printed as one JSON line per row."""

from __future__ import annotations

import json
import statistics
import sys
import time

import numpy as np

from studio.core.errors import StudioError
from studio.inference import open_segmenter

RUNS = 100


def bench(model: str, backend: str, device: str, options: dict, size=(1280, 720)) -> dict:
    t0 = time.perf_counter()
    seg = open_segmenter(model, backend, device, backend_options=options)
    load_s = time.perf_counter() - t0
    frame = np.random.default_rng(0).integers(0, 255, (size[1], size[0], 3), np.uint8)
    try:
        for _ in range(10):
            seg.segment(frame)
        times = []
        for _ in range(RUNS):
            times.append(seg.segment(frame).infer_seconds * 1000)
        times.sort()
        return {"model": model, "backend": seg.backend_label, "options": options, "frame": size,
                "load_s": round(load_s, 2), "infer_p50_ms": round(statistics.median(times), 3),
                "infer_p95_ms": round(times[int(0.95 * len(times))], 3),
                "notes": seg.backend.info.notes}
    finally:
        seg.close()


def main() -> int:
    models = sys.argv[1:] or ["selfie", "selfie-landscape", "u2netp"]
    for model in models:
        for backend, device, options in (("tensorrt", "cuda:0", {"tensorrt": {"precision": "fp32"}}),
                                         ("tensorrt", "cuda:0", {"tensorrt": {"precision": "fp16"}}),
                                         ("onnxruntime", "cuda:0", {})):
            try:
                print(json.dumps(bench(model, backend, device, options)), flush=True)
            except StudioError as exc:
                print(json.dumps({"model": model, "backend": backend, "options": options, "error": exc.message}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
