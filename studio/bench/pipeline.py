"""`studio bench pipeline`: the live pipeline end to end, as `studio cam` runs it, on a still and a moving scene.

Timed runs (``--seconds`` each, default 20; synthetic source 1280x720 at 30 fps, blur background, selfie model, a
NullSink; telemetry off so only the pipeline is measured): output fps against the source's, capture -> output latency
p50/p95, inference rate per gate tier, CPU seconds per minute, and the mask latency (frame captured -> its mask at
frame size) p50/p95. Scenes: "still" (gated), "moving" (gated), "still-ungated" (gate off: what the gate saves), and a
video file with ``--video``.

A separate short run, not timed, measures what the per-frame path allocates with tracemalloc: the output stage (gate,
refine, blur, composite, sink) and the inference stage (Segmenter) are driven on this thread frame by frame, and for
each frame the traced peak above the level before it is the bytes that frame needed beyond reused buffers. The same
run times the motion gate against one inference (it must cost well under a tenth).
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import sys
import time
import tracemalloc

from studio.config.settings import Settings

USER_DESCRIPTION = """\
How well does the live pipeline run on this machine? Runs it as `studio cam` does, on a generated 1280x720 scene at
30 fps with a blurred background, once per scene (--seconds each, 20 by default), and prints for each: frames per
second out against the source's, the delay from capture to output, masks per second, and CPU seconds per minute.

Scenes: still (nobody moves: the motion gate should skip most inferences), moving, still-ungated (the gate off: what
the gate saves), and a video file of yours with --video. A short extra run counts the memory each frame allocates
(--alloc-frames 0 skips it). The default run takes about a minute; --out FILE also keeps the results as JSON.
"""


def register(sub) -> None:
    p = sub.add_parser("pipeline", help="live pipeline: output fps, latency, gating saving, allocations per frame",
                       description=USER_DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--seconds", type=float, default=20.0, help="length of each timed run (default 20)")
    p.add_argument("--size", default="1280x720", help="synthetic frame size (default 1280x720)")
    p.add_argument("--fps", type=float, default=30.0, help="synthetic frame rate (default 30)")
    p.add_argument("--video", metavar="FILE", help="also run on this video file (looped, at its own fps)")
    p.add_argument("--model", default="selfie")
    p.add_argument("--backend", default="auto")
    p.add_argument("--device", default="auto")
    p.add_argument("--scenes", default="still,moving,still-ungated",
                   help="comma-separated synthetic scenes: still, slow, moving, fast, and X-ungated (gate off)")
    p.add_argument("--alloc-frames", type=int, default=60, help="frames in the allocation run (0: skip it)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--out", metavar="FILE", help="also write the JSON here")
    p.set_defaults(func=run)


def _settings(args, kind: str, uri: str, gated: bool) -> Settings:
    s = Settings()
    w, h = (int(v) for v in args.size.lower().split("x"))
    s.source.kind, s.source.uri, s.source.width, s.source.height, s.source.fps = kind, uri, w, h, args.fps
    s.inference.model, s.inference.backend, s.inference.device = args.model, args.backend, args.device
    s.background.kind = "blur"
    s.gate.enabled = gated
    return s.validate()


def timed_run(settings: Settings, seconds: float, label: str) -> dict:
    from studio.control.pipeline import LivePipeline
    from studio.control.session import run_session
    from studio.output.simple import NullSink

    pipeline = LivePipeline(settings, sinks=[NullSink()], telemetry=False)
    report = run_session(pipeline, seconds, stop_when_finished=False)
    d = report.to_dict()
    d.pop("final", None)
    d["scene"] = label
    return d


def allocation_run(args, frames: int) -> dict:
    """Frame-by-frame on this thread under tracemalloc: bytes each stage needs beyond its reused buffers."""
    from studio.capture.synthetic import SyntheticSource
    from studio.compose.backgrounds import make_background
    from studio.compose.refine import LIVE_DETAIL_CAP, LIVE_GUIDED_CAP, MaskRefiner
    from studio.control.events import EventHub
    from studio.control.gate import MotionGate
    from studio.control.output_thread import MaskFeed, OutputStages, OutputThread, SourceInfo
    from studio.control.thermal import ThermalGovernor
    from studio.core.frame import Frame, Mask
    from studio.core.mailbox import LatestSlot
    from studio.inference import open_segmenter
    from studio.output.simple import NullSink

    s = _settings(args, "synthetic", "moving", True)
    src = SyntheticSource(s.source.width, s.source.height, s.source.fps, motion="moving", noise=2.0, realtime=False)
    src.open()
    images = [src.read() for _ in range(frames + 10)]
    segmenter = open_segmenter(s.inference.model, s.inference.backend, s.inference.device)
    masks: LatestSlot[Mask] = LatestSlot()
    # Never started: this thread drives it frame by frame with process(), as the output thread would.
    stages = OutputStages(MotionGate(s.gate), ThermalGovernor(s.thermal, None),
                          MaskRefiner(s.refine, detail_cap=LIVE_DETAIL_CAP, guided_cap=LIVE_GUIDED_CAP),
                          make_background(s.background), [NullSink()])
    out = OutputThread(LatestSlot(), MaskFeed(masks), stages, SourceInfo(lambda: s.source.fps), EventHub())
    gate = MotionGate(s.gate)

    def frame(i: int) -> Frame:
        return Frame(images[i], i, time.perf_counter())

    def one_output(i: int) -> None:
        if i % 2 == 0:  # a new mask every other frame, as at 15 inferences/s
            seg = segmenter.segment(images[i])
            masks.put(Mask(seg.alpha, i, time.perf_counter(), time.perf_counter(), seg.input_size,
                           seg.total_seconds))
        out.process(frame(i))

    # warm up every buffer (first frame of a size allocates them by design), untraced
    for i in range(10):
        one_output(i)
        gate.update(images[i], i / 30)
    seg_times, gate_times = [], []
    for i in range(10, 10 + min(frames, 40)):
        t0 = time.perf_counter()
        segmenter.segment(images[i])
        t1 = time.perf_counter()
        gate.update(images[i], i / 30)
        t2 = time.perf_counter()
        seg_times.append(t1 - t0)
        gate_times.append(t2 - t1)

    def traced(fn, n: int) -> dict:
        peaks, retained = [], []
        tracemalloc.start(1)
        try:
            base_all = tracemalloc.get_traced_memory()[0]
            for i in range(10, 10 + n):
                before = tracemalloc.get_traced_memory()[0]
                tracemalloc.reset_peak()
                fn(i)
                current, peak = tracemalloc.get_traced_memory()
                peaks.append(peak - before)
                retained.append(current - before)
            growth = tracemalloc.get_traced_memory()[0] - base_all
        finally:
            tracemalloc.stop()
        return {"frames": n, "peak_bytes_per_frame_p50": int(statistics.median(peaks)),
                "peak_bytes_per_frame_max": int(max(peaks)),
                "retained_bytes_total": int(growth)}

    def output_only(i: int) -> None:
        out.process(frame(i))

    def segment_only(i: int) -> None:
        segmenter.segment(images[i])

    def capture_only(i: int) -> None:
        src.read()

    frame_bytes = images[0].nbytes
    result = {
        "frame": f"{s.source.width}x{s.source.height}", "frame_bytes": frame_bytes,
        "output_stage": traced(output_only, frames),
        "inference_stage": traced(segment_only, frames),
        "capture_synthetic": traced(capture_only, min(frames, 20)),
        "gate_ms_p50": round(statistics.median(gate_times) * 1000, 3),
        "segment_ms_p50": round(statistics.median(seg_times) * 1000, 3),
    }
    result["gate_vs_inference"] = round(statistics.median(gate_times) / statistics.median(seg_times), 4)
    out.release()
    segmenter.close()
    return result


def run(args) -> int:
    from studio.core.atomic import check_writable

    if args.out:
        check_writable(args.out, "results file")  # now, not after minutes of timing
    results = []
    scenes = [s.strip() for s in args.scenes.split(",") if s.strip()]
    runs = len(scenes) + bool(args.video)
    print(f"bench pipeline: {runs} timed runs of {args.seconds:g} s (+ model warm-up each)"
          + (f" and an allocation run of {args.alloc_frames} frames" if args.alloc_frames > 0 else "")
          + f": about {runs * (args.seconds + 3) + (10 if args.alloc_frames > 0 else 0):.0f} s", file=sys.stderr)

    def progress(text: str) -> None:
        print(f"  {text} ...", file=sys.stderr, flush=True)

    def done(r: dict) -> None:
        lat = r.get("latency_ms") or {}
        print(f"    {r['scene']}: {r.get('output_fps', 0):.1f} fps out, latency p50 {lat.get('p50')} ms, "
              f"{r.get('inference_fps', 0):.1f} masks/s, CPU {r.get('cpu_s_per_min', 0):.1f} s/min",
              file=sys.stderr, flush=True)

    for scene in scenes:
        motion, _, ungated = scene.partition("-")
        progress(f"{scene}: {args.seconds:.0f} s")
        results.append(timed_run(_settings(args, "synthetic", motion, not ungated), args.seconds, scene))
        done(results[-1])
    if args.video:
        progress(f"video {args.video}: {args.seconds:.0f} s")
        s = _settings(args, "file", args.video, True)
        results.append(timed_run(s, args.seconds, f"video:{args.video}"))
        done(results[-1])
    alloc = None
    if args.alloc_frames > 0:
        progress(f"allocations: {args.alloc_frames} frames under tracemalloc")
        alloc = allocation_run(args, args.alloc_frames)
    by = {r["scene"]: r for r in results}
    saving = {}
    if "still" in by and "moving" in by:
        saving["cpu_still_over_moving"] = round(by["still"]["cpu_s_per_min"] / by["moving"]["cpu_s_per_min"], 3)
    if "still" in by and "still-ungated" in by:
        saving["cpu_still_gated_over_ungated"] = round(
            by["still"]["cpu_s_per_min"] / by["still-ungated"]["cpu_s_per_min"], 3)
    doc = {"bench": "pipeline", "meta": {"machine": platform.machine(), "processor": platform.processor(),
                                         "python": platform.python_version(), "seconds": args.seconds,
                                         "size": args.size, "fps": args.fps, "model": args.model,
                                         "backend": args.backend},
           "runs": results, "gating": saving, "allocations": alloc}
    text = json.dumps(doc, indent=2)
    print(text if args.json else format_table(doc))  # first: a disk that filled during the run must not cost the results
    if args.out:
        from studio.core.atomic import write_text_atomic

        write_text_atomic(args.out, text + "\n")
    return 0 if results and all(r["frames_out"] > 0 for r in results) else 1


def format_table(doc: dict) -> str:
    lines = [f"{'scene':<22}{'out fps':>8}{'src':>6}{'lat p50':>9}{'p95':>7}{'mask p50':>10}{'p95':>7}{'work p50':>9}"
             f"{'inf/s':>7}  {'per tier (static/moderate/fast /s)':<36}{'CPU s/min':>10}  backend"]
    for r in doc["runs"]:
        t = r["inference_rate_per_tier"]
        lines.append(f"{r['scene'][:21]:<22}{r['output_fps']:>8.1f}{r['source_fps']:>6.0f}"
                     f"{_f(r['latency_ms']['p50']):>9}{_f(r['latency_ms']['p95']):>7}"
                     f"{_f(r['mask_ms']['p50']):>10}{_f(r['mask_ms']['p95']):>7}"
                     f"{_f(r['mask_compute_ms']['p50']):>9}{r['inference_fps']:>7.1f}  "
                     f"{t['static']:>5.1f} / {t['moderate']:>5.1f} / {t['fast']:>5.1f}{'':<15}"
                     f"{r['cpu_s_per_min']:>10.1f}  {r['backend']}")
    if doc["gating"]:
        lines.append("gating: " + ", ".join(f"{k} = {v}" for k, v in doc["gating"].items()))
    a = doc.get("allocations")
    if a:
        lines.append(f"allocations per frame at {a['frame']} (tracemalloc peak above the level before the frame): "
                     f"output stage p50 {a['output_stage']['peak_bytes_per_frame_p50']} B "
                     f"(max {a['output_stage']['peak_bytes_per_frame_max']}), inference stage p50 "
                     f"{a['inference_stage']['peak_bytes_per_frame_p50']} B, synthetic capture p50 "
                     f"{a['capture_synthetic']['peak_bytes_per_frame_p50']} B (a new frame each time, by design: "
                     f"{a['frame_bytes']} B)")
        lines.append(f"motion gate {a['gate_ms_p50']} ms vs one inference (pre+infer+post) {a['segment_ms_p50']} ms "
                     f"= {a['gate_vs_inference']:.1%}")
    return "\n".join(lines)


def _f(v) -> str:
    return "-" if v is None else f"{v:.1f}"


__all__ = ["allocation_run", "register", "run", "timed_run"]
