"""SyntheticSource.render per frame, an earlier version against the current one, on the same drawn scene.

    flock /tmp/studio-bench.lock .venv/bin/python installers/bench_synthetic_render.py [COMMIT]

COMMIT: as installers/check_synthetic_same.py (default: the version before issue 12's stamp). Person scene, moving,
noise 2, as `studio bench stages` renders it. Two figures per version and size, best of two interleaved rounds:
"stream", the median of 40 frames each dropped before the next (what a capture thread's consumers let the allocator
do, and what `studio bench stages` reports) and "kept", the mean of 8 frames all kept (each one new memory the kernel
must fault in and zero: what `bench stages` reported before it timed a stream).
"""

from __future__ import annotations

import statistics
import sys
import time

from check_synthetic_same import BEFORE, ROOT, old_module

SIZES = [(1280, 720), (1920, 1080), (3840, 2160)]


def timings(src) -> tuple[float, float]:
    """(kept, stream) milliseconds a frame."""
    t0 = time.perf_counter()
    kept = [src.render(i * 3) for i in range(8)]
    kept_ms = (time.perf_counter() - t0) / len(kept) * 1e3
    del kept
    times = []
    for i in range(40):
        t0 = time.perf_counter()
        src.render(i * 3)
        times.append(time.perf_counter() - t0)
    return kept_ms, statistics.median(times) * 1e3


def main(argv: list[str]) -> int:
    sys.path.insert(0, str(ROOT))
    from studio.capture.synthetic import SyntheticSource

    before = old_module(argv[0] if argv else BEFORE)
    print(f"{'size':>10} {'version':>8} {'stream ms':>10} {'kept ms':>8}")
    for width, height in SIZES:
        new = SyntheticSource(width, height, 30.0, motion="moving", noise=2.0, realtime=False)
        new.open()
        old = before.SyntheticSource(width, height, 30.0, motion="moving", noise=2.0, realtime=False)
        old._set_sprite(new._sprite, new._alpha)  # the same drawing, not drawn twice
        old._backgrounds = new._backgrounds
        best: dict[str, list[float]] = {}
        for name, src in (("before", old), ("now", new)) * 2:
            kept, stream = timings(src)
            got = best.setdefault(name, [kept, stream])
            got[:] = [min(got[0], kept), min(got[1], stream)]
        for name, (kept, stream) in best.items():
            print(f"{width}x{height:<5} {name:>8} {stream:10.2f} {kept:8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
