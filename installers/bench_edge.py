"""refine.edge_px cost: MaskRefiner.refine at 1280x720 from a 256x256 mask, p50 over 300 calls, per edge setting.

    flock /tmp/studio-bench.lock .venv/bin/python installers/bench_edge.py
"""
import time, numpy as np
from studio.compose.refine import MaskRefiner
from studio.config.settings import RefineSettings
rng = np.random.default_rng(0)
frame = rng.integers(0, 256, (720, 1280, 3), np.uint8)
mask = rng.random((256, 256), np.float32)
for e in (0, -1, -2, 2):
    r = MaskRefiner(RefineSettings(edge_px=e))
    ts = []
    for i in range(300):
        t = time.perf_counter(); r.refine(mask, frame, new_mask=i % 2 == 0); ts.append(time.perf_counter() - t)
    print(f"edge_px {e:+d}: refine p50 {1000 * np.median(ts):.2f} ms")
