"""`studio bench stages`: the live compose path's cost per stage (refine, background, composite) at each frame size,
the path before the detail cap against the live one, interleaved frame by frame so a busy box's noise falls on both.

"full": the refiner's edge step at frame size, the plain blur, cv2.blendLinear with a full-size float alpha (the path
before issue 12's work). "capped": the live path (LIVE_DETAIL_CAP: the edge step at 1/k of the frame, the halo-free
blur from that alpha, left small for the compositor to scale up into its output, blending by tiles with the edge computed at full size from the refiner's coefficients).
"scaled": the same without the coefficients (the 1/k alpha scaled up: cheaper, softer edges). The masks are the synthetic scene's true alpha shrunk to a model's 256x144
(no model runs: only the compose path is timed); a new mask every other frame, as at 15 inferences/s (odd frames are
cut with the mask of the frame before, one frame of motion behind), smoothed as live in the moderate motion tier. The synthetic
source's own cost per frame is reported too (it must never be a benchmark's bottleneck).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from studio.bench.models import parse_size, positive_int

STAGES = ("refine", "background", "composite")


def register(sub) -> None:
    p = sub.add_parser("stages", help="the live compose path per stage and frame size: before vs after the detail cap",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sizes", type=lambda s: [parse_size(t) for t in s.split(",") if t.strip()],
                   default="1280x720,1920x1080,3840x2160", help="frame sizes, comma-separated")
    p.add_argument("--frames", type=positive_int, default=60, help="frames per path and size (default 60)")
    p.add_argument("--blur", type=positive_int, default=21, help="blur strength (default 21, the app's)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run)


def _paths(blur: int) -> dict:
    from studio.compose.backgrounds import BlurBackground
    from studio.compose.blend import Compositor
    from studio.compose.refine import LIVE_DETAIL_CAP, LIVE_GUIDED_CAP, MaskRefiner
    from studio.config.settings import RefineSettings

    def capped(guided_cap) -> tuple:
        refiner = MaskRefiner(RefineSettings(), detail_cap=LIVE_DETAIL_CAP, guided_cap=guided_cap)
        return refiner, BlurBackground(blur), Compositor(), True

    return {"full": (MaskRefiner(RefineSettings()), BlurBackground(blur), Compositor(), False, False),
            "capped": (*capped(LIVE_GUIDED_CAP), True), "scaled": (*capped(None), False)}


def measure(width: int, height: int, frames: int, blur: int) -> dict:
    import cv2

    from studio.capture.synthetic import SyntheticSource
    from studio.compose.base import render_for_compositor
    from studio.control.gate import MODERATE
    from studio.control.compose_inputs import SMOOTHING_BY_TIER

    src = SyntheticSource(width, height, 30.0, motion="moving", noise=2.0, realtime=False)
    src.open()
    images = [src.render(i * 3) for i in range(8)]
    # The source's cost per frame as a stream: each frame dropped before the next, so its memory is recycled, as the
    # capture thread's consumers let it be. Timing the 8 kept frames timed the kernel zeroing new pages (2 of the
    # 2.1 ms of a 720p frame); two dropped frames first, while the allocator settles on reusing the block.
    for i in range(2):
        src.render(i)
    t0 = time.perf_counter()
    for i in range(16):
        src.render(i * 3)
    render_ms = (time.perf_counter() - t0) / 16 * 1e3
    masks = [cv2.resize(src.truth_mask(i * 3), (256, 144), interpolation=cv2.INTER_AREA) for i in range(8)]
    paths = _paths(blur)
    times: dict[str, dict[str, list[float]]] = {p: {s: [] for s in STAGES} for p in paths}
    # There and back along the 8 frames: a wrap from the last to the first would be a jump of 21 frames, whose
    # temporal smoothing trail a live subject never leaves (it doubled the compositor's edge at 4K).
    walk = [*range(len(images)), *range(len(images) - 2, 0, -1)]
    moving = SMOOTHING_BY_TIER[MODERATE]  # the live output's temporal smoothing for a subject moving at this pace
    for i in range(frames + 3):
        order = list(paths.items()) if i % 2 == 0 else list(reversed(paths.items()))
        for name, (refiner, background, compositor, halo_free, full_edge) in order:
            # a new mask every other frame: odd frames are cut with the previous frame's mask, as live at 15/s
            frame, mask = images[walk[i % len(walk)]], masks[walk[(i - i % 2) % len(walk)]]
            t0 = time.perf_counter()
            alpha = refiner.refine(mask, frame, new_mask=i % 2 == 0, smoothing_scale=moving)
            t1 = time.perf_counter()
            picture = render_for_compositor(background, frame, alpha) if halo_free else background.render(frame)
            t2 = time.perf_counter()
            compositor.composite(frame, alpha, picture, coefficients=refiner.coefficients if full_edge else None)
            t3 = time.perf_counter()
            if i >= 3:  # the first frames allocate the buffers
                for stage, dt in zip(STAGES, (t1 - t0, t2 - t1, t3 - t2)):
                    times[name][stage].append(dt * 1e3)
    result = {"size": f"{width}x{height}", "synthetic_render_ms": round(render_ms, 2)}
    for name, stages in times.items():
        med = {s: round(statistics.median(v), 2) for s, v in stages.items()}
        result[name] = {**med, "sum": round(sum(med.values()), 2)}
    return result


def run(args) -> int:
    results = [measure(w, h, args.frames, args.blur) for w, h in args.sizes]
    if args.json:
        print(json.dumps({"frames": args.frames, "blur": args.blur, "results": results}, indent=2))
        return 0
    print(f"compose path, median ms per frame ({args.frames} frames per path, interleaved; blur {args.blur})")
    print(f"{'size':>10} {'path':>7} {'refine':>8} {'backgr.':>8} {'compos.':>8} {'sum':>8}   synthetic source")
    for r in results:
        for name in ("full", "capped", "scaled"):
            p = r[name]
            extra = f"   {r['synthetic_render_ms']:.2f} ms a frame" if name == "full" else ""
            print(f"{r['size']:>10} {name:>7} {p['refine']:8.2f} {p['background']:8.2f} {p['composite']:8.2f} "
                  f"{p['sum']:8.2f}{extra}")
    return 0
