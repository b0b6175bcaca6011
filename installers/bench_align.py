"""Issue 12's mask-alignment bars, measured with `studio cam --stats-json` (one run per case, one after another).

Cases: selfie + blur on a 10 fps person clip (an ../shared/data/video/asl clip, every third frame written at 10 fps
into the output folder) and on a 1280x720 30 fps moving synthetic scene, with alignment auto and off; u2netp at
720p30, where alignment must switch itself off. Bars (selfie, alignment auto): mask age p50 (`mask_ms`) <= 25 ms,
latency p95 <= 33 ms, output fps >= 0.97x the source.

Run it alone on a quiet box, under the bench lock:
    flock /tmp/studio-bench.lock .venv/bin/python installers/bench_align.py --out /tmp/align-bench
Each case's command is printed before it runs; its JSON lands in --out.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT.parent / "shared" / "data" / "video" / "asl" / "book.mkv"
SYNTH = ["--source", "synthetic:moving", "--size", "1280x720", "--fps", "30"]


def make_10fps_clip(src: Path, dst: Path) -> Path:
    """Every third frame of a 30 fps clip, written at 10 fps: a person moving as fast as in the original."""
    import cv2

    if dst.is_file():
        return dst
    cap = cv2.VideoCapture(str(src))
    w, h = int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT))
    out = cv2.VideoWriter(str(dst), cv2.VideoWriter_fourcc(*"mp4v"), 10.0, (w, h))
    i = 0
    while True:
        ok, frame = cap.read()
        if not ok:
            break
        if i % 3 == 0:
            out.write(frame)
        i += 1
    cap.release()
    out.release()
    return dst


def cases(clip10: Path) -> list[tuple[str, list[str], bool]]:
    """(name, studio cam arguments, whether the issue's bars apply)."""
    selfie = ["--model", "selfie", "--background", "blur"]
    return [
        ("selfie-clip10-auto", ["--source", str(clip10), *selfie, "--align-mask", "auto"], True),
        ("selfie-clip10-off", ["--source", str(clip10), *selfie, "--align-mask", "off"], False),
        ("selfie-720p30-auto", [*SYNTH, *selfie, "--align-mask", "auto"], True),
        ("selfie-720p30-off", [*SYNTH, *selfie, "--align-mask", "off"], False),
        ("u2netp-720p30-auto", [*SYNTH, "--model", "u2netp", "--background", "blur", "--align-mask", "auto"], False),
    ]


def row(name: str, d: dict, bars: bool) -> str:
    fps, src = d["output_fps"], d["source_fps"] or float("nan")
    age, p50, p95 = d["mask_ms"].get("p50"), d["latency_ms"].get("p50"), d["latency_ms"].get("p95")
    lag = d.get("mask_lag_frames") or {}
    share = d.get("aligned_share")
    verdict = ""
    if bars:
        ok = (age is not None and age <= 25.0) and (p95 is not None and p95 <= 33.0) and fps >= 0.97 * src
        verdict = "bars met" if ok else "bars NOT met"
    return (f"{name:<20} align {'on ' if d.get('align') else 'off'} budget {d.get('latency_budget_ms')} ms | "
            f"own mask {share if share is None else round(share * 100)} % | lag p50/p95 {lag.get('p50')}/"
            f"{lag.get('p95')} | mask age p50 {age} ms | latency p50 {p50} p95 {p95} ms | out {fps:.2f} fps of "
            f"{src:.2f} ({fps / src:.3f}x) | {verdict or d.get('align_reason', '')}")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=Path("/tmp/align-bench"))
    ap.add_argument("--duration", type=float, default=20.0)
    ap.add_argument("--only", help="run only cases whose name contains this")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    clip10 = make_10fps_clip(CLIP, args.out / "asl-book-10fps.mp4")
    env = dict(os.environ, STUDIO_CONFIG_DIR=str(args.out / "config"), QT_QPA_PLATFORM="offscreen")
    lines = []
    for name, argv, bars in cases(clip10):
        if args.only and args.only not in name:
            continue
        stats = args.out / f"{name}.json"
        cmd = [str(ROOT / ".venv" / "bin" / "studio"), "cam", *argv, "--duration", f"{args.duration:g}",
               "--no-telemetry", "--stats-json", str(stats)]
        print("$", " ".join(cmd), flush=True)
        subprocess.run(cmd, env=env, check=False, stdout=subprocess.DEVNULL)
        lines.append(row(name, json.loads(stats.read_text()), bars) if stats.is_file() else f"{name}: no report")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
