"""What `studio cam` tells a person at the end of a run: figures in words (not a Python dict), the recording's own
frame count read back from the file, and the exit code (non-zero when nothing was segmented or an output failed)."""

from __future__ import annotations

import sys
from pathlib import Path

TIER_WORDS = {"static": "still", "moderate": "moderate", "fast": "fast"}


def _fmt(v, unit: str = "") -> str:
    return "-" if v is None else f"{v:.1f}{unit}"


def align_line(report) -> str:
    """Mask alignment in words: whether frames waited for their own mask, how many got it, the lag, the mask age."""
    budget = report.latency_budget_ms
    state = "on" if report.align else f"off ({report.align_reason or 'not asked'})"
    share = report.aligned_share
    lag = report.mask_lag_frames or {}
    return (f"  alignment  {state}, budget {_fmt(budget, ' ms')}; "
            f"{'-' if share is None else f'{share * 100:.0f} %'} of frames cut with their own mask, "
            f"mask lag p50 {_fmt(lag.get('p50'))} / p95 {_fmt(lag.get('p95'))} frames, "
            f"mask age p50 {_fmt(report.mask_ms.get('p50'))} ms")


def recorded_before(record: Path | None) -> float | None:
    """The recording's mtime before the run (None: no file), to tell a new recording from an old one."""
    if record is None:
        return None
    try:
        return record.stat().st_mtime
    except OSError:
        return None


def count_frames(path: Path) -> int | None:
    """Frames in a video file, read back (None when it cannot be opened)."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    try:
        if not cap.isOpened():
            return None
        n = int(cap.get(cv2.CAP_PROP_FRAME_COUNT))
        if n <= 0:  # containers without an index: count by decoding
            n = 0
            while cap.grab():
                n += 1
        return n
    finally:
        cap.release()


def recording_result(record: Path | None, before: float | None) -> int | None:
    """Frames in the recording this run made; None when it made none (no file, or the old file untouched)."""
    if record is None or not record.is_file():
        return None
    if before is not None and record.stat().st_mtime == before:
        return None
    return count_frames(record)


def print_summary(report, wall_s: float, record: Path | None, before: float | None, *,
                  label: str | None = None, total_out: int | None = None, out=None) -> int | None:
    """Print the run's figures; return the frames in the recording (None: no recording was made)."""
    out = out or sys.stdout
    final = report.final or {}
    if total_out is None:
        total_out = final.get("frames_out", report.frames_out)
    size = "x".join(map(str, report.frame_size)) if report.frame_size else "no frames"
    name = f"{label} ({report.source})" if label else report.source
    tiers = ", ".join(f"{TIER_WORDS.get(k, k)} {v:.1f}" for k, v in report.inference_rate_per_tier.items())
    lines = [
        f"studio cam: {name}, {size}, {wall_s:.1f} s (warm-up {report.warmup_s:.1f} s, ended by {report.ended_by})",
        f"  frames     {total_out} out in all; {report.frames_out} in the {report.duration_s:.1f} s after warm-up: "
        f"{report.output_fps:.1f} fps (source {report.source_fps:.1f} fps), {report.capture_drops} dropped, "
        f"{report.frames_repeated} repeated",
        f"  latency    capture -> output p50 {_fmt(report.latency_ms.get('p50'))} ms, "
        f"p95 {_fmt(report.latency_ms.get('p95'))} ms",
        f"  inference  {report.inferences} masks, {report.inference_fps:.1f} per second ({tiers}); "
        f"mask shown p50 {_fmt(report.mask_ms.get('p50'))} ms, work p50 {_fmt(report.mask_compute_ms.get('p50'))} ms",
        align_line(report),
        f"  model      {report.model} on {report.backend or 'no backend'}",
        f"  CPU        {report.cpu_s_per_min:.1f} s per minute of run",
    ]
    recorded = recording_result(record, before)
    if record is not None:
        if recorded is None:
            lines.append(f"  recording  none made: {record} was not written")
        else:
            dropped = max(0, total_out - recorded)
            lines.append(f"  recording  {recorded} frames to {record}"
                         + (f" ({dropped} frames out were not recorded: the encoder fell behind)" if dropped else ""))
    print("\n".join(lines), file=out)
    return recorded


def outcome(report, record: Path | None, recorded: int | None, total_out: int | None = None) -> int:
    """The exit code: 1 when the run failed, nothing was segmented, or the recording asked for was not made."""
    code = 0
    total_inferences = (report.final or {}).get("inferences", report.inferences)
    if report.ended_by == "failed":
        code = 1
    if total_out == 0:
        print(f"studio cam: no frame arrived from {report.source} (source {report.source_state})\n"
              "  hint: see the source's message above; check the camera, file or URL", file=sys.stderr)
        code = 1
    elif not total_inferences:
        print("studio cam: nothing was segmented (no mask was made in the run)\n"
              "  hint: give the model more time (a longer --duration) or check the messages above", file=sys.stderr)
        code = 1
    if record is not None and not recorded:
        print(f"studio cam: the recording {record} was not made\n  hint: see the messages above; check the disk",
              file=sys.stderr)
        code = 1
    return code
