"""`studio bench warp`: does moving the last mask with the picture (studio.compose.warp) beat reusing it as it is?

Replays a video sequence with true masks (default ../shared/data/davis/dance-twirl, 90 frames) through the live
OutputThread itself, driven frame by frame: the motion gate (its tier sets the refiner's smoothing, its small grey copy
feeds the warper), the MaskWarper (live.warp_mask on or off), the MaskRefiner with the live settings, the compositor;
the alpha scored is the one the sinks get. Each frame is segmented once, up front; the modes then differ only in which
masks reach the output's mask slot, and when:

    every        a mask for every frame (what a model that keeps up gives)
    gated        a mask every --every frames (2: 15/s of a 30 fps playback), reused in between
    gated+warp   the same masks, warped to each frame before refining
    every+warp   with --lag > 0 only: every frame's mask, arriving --lag frames late, warped to the frame it cuts

Per mode: mean per-frame IoU against the truth (alpha >= 0.5), flicker (mean absolute alpha change between
consecutive frames over pixels whose truth did not change, x1000, as `studio eval --sequence`), and the warp's cost
per warped frame (remember the small grey + flow + remap; p50 and p95 in ms). The warp works on the gate's ~160 px
copy and on the model-size mask, so its cost hardly depends on the frame size; --size 1280x720 measures it at 720p.
`installers/bench_warp.sh` runs the issue's set (lag 0 and 1, and 720p) in one lock hold.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import cv2
import numpy as np

from studio.bench.models import non_negative_int, positive_int
from studio.core import paths

DEFAULT_SEQUENCE = Path("davis") / "dance-twirl"


@dataclass(frozen=True)
class Mode:
    name: str
    every: int  # a mask for every n-th frame
    warp: bool


@dataclass
class ModeResult:
    mode: str
    mean_iou: float
    flicker: float  # x1000
    inferences: int
    warp_ms_p50: float
    warp_ms_p95: float
    warped_frames: int


def modes(every: int, lag: int) -> list[Mode]:
    out = [Mode("every", 1, False), Mode("gated", every, False), Mode("gated+warp", every, True)]
    if lag > 0:
        out.append(Mode("every+warp", 1, True))
    return out


def register(sub) -> None:
    p = sub.add_parser("warp", help="mask warp between inferences: IoU on a true-mask sequence, with and without",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--sequence", type=Path, default=None,
                   help="folder with img/ and mask/ of consecutive frames (default: davis/dance-twirl in the shared "
                        "test material beside the repository; $STUDIO_SHARED_DATA overrides its place)")
    p.add_argument("--models", default="selfie", help="comma-separated model names (default selfie)")
    p.add_argument("--backend", default="auto", help="backend (default auto)")
    p.add_argument("--every", type=positive_int, default=2, help="gated modes get a mask every N frames (default 2)")
    p.add_argument("--lag", type=non_negative_int, default=0, help="a mask arrives N frames after its frame (default 0)")
    p.add_argument("--fps", type=float, default=30.0, help="playback rate the gate sees (default 30)")
    p.add_argument("--size", default="", help="WIDTHxHEIGHT to resize frames and truth to (default: as stored)")
    p.add_argument("--limit", type=non_negative_int, default=0, help="use only the first N frames (default all)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--out", metavar="FILE", help="also write the JSON here")
    p.set_defaults(func=run)


def load_sequence(folder: Path, size: tuple[int, int] | None = None,
                  limit: int = 0) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Frames (BGR) and true masks (bool), in frame order, optionally resized to ``size``."""
    from studio.stills.evaluate import pair_files, read_mask
    from studio.stills.imageio import load_image

    pairs, _ = pair_files(folder / "img", folder / "mask")
    pairs = pairs[:limit] if limit > 0 else pairs
    frames, truths = [], []
    for img_path, mask_path in pairs:
        bgr = load_image(img_path).bgr
        if size is not None and bgr.shape[1::-1] != size:
            bgr = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
        frames.append(bgr)
        truths.append(read_mask(mask_path, bgr.shape[1::-1]))
    return frames, truths


def segment_all(model: str, backend: str, frames: list[np.ndarray]) -> tuple[list[np.ndarray], str]:
    """Every frame's mask at the model's resolution (copies), and the backend label."""
    from studio.inference import open_segmenter

    seg = open_segmenter(model, backend)
    try:
        return [seg.segment(f).alpha.copy() for f in frames], seg.backend_label
    finally:
        seg.close()


def _flicker(prev: np.ndarray, cur: np.ndarray, same: np.ndarray) -> float:
    n = np.count_nonzero(same)
    return float(np.abs(cur - prev)[same].sum() / n) if n else 0.0


class _TimedWarper:
    """The output's MaskWarper with a stopwatch around its two per-frame calls (remember + warp = the warp's cost)."""

    def __init__(self, enabled: bool) -> None:
        from studio.compose.warp import MaskWarper

        self.inner = MaskWarper(enabled=enabled)
        self.ms: list[float] = []
        self.moved = 0
        self._t = 0.0

    def __getattr__(self, name):
        return getattr(self.inner, name)

    def remember(self, index: int, grey) -> None:
        t0 = time.perf_counter()
        self.inner.remember(index, grey)
        self._t = time.perf_counter() - t0

    def warp(self, alpha, from_index: int, to_index: int):
        t0 = time.perf_counter()
        out = self.inner.warp(alpha, from_index, to_index)
        if out is not None:  # a frame the warp worked on (its own mask or a still picture costs next to nothing)
            self.ms.append(1e3 * (self._t + time.perf_counter() - t0))
            self.moved += 1
        return out


def replay(frames: list[np.ndarray], truths: list[np.ndarray], alphas: list[np.ndarray], mode: Mode, *,
           lag: int = 0, fps: float = 30.0) -> ModeResult:
    """One mode over the sequence through the live OutputThread itself (gate, warp, refiner, compositor), driven
    frame by frame on this thread; the masks are put into its mask slot by hand, on the mode's schedule."""
    from studio.compose.backgrounds import make_background
    from studio.compose.refine import MaskRefiner
    from studio.config.settings import BackgroundSettings, LiveSettings, RefineSettings
    from studio.control.align import MaskAligner
    from studio.control.events import EventHub
    from studio.control.gate import MotionGate
    from studio.control.output_thread import MaskFeed, OutputStages, OutputThread, SourceInfo
    from studio.control.thermal import ThermalGovernor
    from studio.core.frame import Frame, Mask
    from studio.core.kinds import AlignMode, BackgroundKind
    from studio.core.mailbox import LatestSlot
    from studio.output.simple import CallbackSink
    from studio.stills.evaluate import iou

    shown: list[np.ndarray] = []
    warper = _TimedWarper(mode.warp)
    masks: LatestSlot[Mask] = LatestSlot()
    # Alignment off: the schedule decides which mask a frame gets (a frame must not wait for a mask never coming).
    stages = OutputStages(MotionGate(), ThermalGovernor(), MaskRefiner(RefineSettings()),
                          make_background(BackgroundSettings(kind=BackgroundKind.COLOR.value)),
                          [CallbackSink(lambda packet: shown.append(packet.alpha.copy()))],
                          align=MaskAligner(LiveSettings(align_mask=AlignMode.OFF.value)), warp=warper)
    out = OutputThread(LatestSlot(), MaskFeed(masks), stages, SourceInfo(lambda: fps), EventHub())
    ious, flickers, last_put = [], [], None
    try:
        for t, (frame, truth) in enumerate(zip(frames, truths)):
            # The newest mask already delivered: made on a scheduled frame, ready `lag` frames later.
            ready = t - lag
            source = ready - ready % mode.every if ready >= 0 else None
            if source is not None and source != last_put:
                masks.put(Mask(alphas[source], source, source / fps, t / fps, alphas[source].shape[::-1], 0.0))
                last_put = source
            out.process(Frame(frame, t, t / fps))
            ious.append(iou(shown[-1] >= 0.5, truth))
            if t > 0:
                flickers.append(_flicker(shown[-2], shown[-1], truth == truths[t - 1]))
    finally:
        out.release()
    inferences = len({t - t % mode.every for t in range(len(frames))})
    ms = warper.ms
    return ModeResult(mode.name, round(float(np.mean(ious)), 4), round(1e3 * float(np.mean(flickers)), 3),
                      inferences, round(float(np.percentile(ms, 50)), 3) if ms else 0.0,
                      round(float(np.percentile(ms, 95)), 3) if ms else 0.0, warper.moved)


def bench_model(model: str, backend: str, frames, truths, *, every: int, lag: int, fps: float) -> dict:
    alphas, label = segment_all(model, backend, frames)
    rows = [asdict(replay(frames, truths, alphas, m, lag=lag, fps=fps)) for m in modes(every, lag)]
    return {"model": model, "backend": label, "mask": "x".join(map(str, alphas[0].shape[::-1])), "rows": rows}


def run(args) -> int:
    from studio.core.atomic import check_writable, write_text_atomic
    from studio.core.errors import StudioError

    folder = args.sequence
    if folder is None:
        data = paths.shared_data_dir()
        folder = data / DEFAULT_SEQUENCE if data is not None else None
    if folder is None or not (Path(folder) / "img").is_dir():
        raise StudioError("no sequence found", hint="pass --sequence pointing at a folder with img/ and mask/")
    if args.every < 1 or args.lag < 0 or args.fps <= 0:
        raise StudioError("--every must be >= 1, --lag >= 0 and --fps > 0")
    size = None
    if args.size:
        try:
            size = tuple(int(v) for v in args.size.lower().split("x"))
        except ValueError:
            raise StudioError(f"--size {args.size!r} is not WIDTHxHEIGHT", hint="e.g. --size 1280x720") from None
    if args.out:
        check_writable(args.out, "results file")  # now, not after the models ran
    frames, truths = load_sequence(Path(folder), size, args.limit)
    h, w = frames[0].shape[:2]
    results = [bench_model(m, args.backend, frames, truths, every=args.every, lag=args.lag, fps=args.fps)
               for m in args.models.split(",")]
    doc = json.dumps({"sequence": str(folder), "frames": len(frames), "size": f"{w}x{h}", "every": args.every,
                      "lag": args.lag, "fps": args.fps, "models": results}, indent=2)
    if args.out:
        write_text_atomic(args.out, doc + "\n")
    if args.json:
        print(doc)
        return 0
    print(f"{folder}: {len(frames)} frames at {w}x{h}, {args.fps:g} fps, gated = a mask every {args.every} frames, "
          f"lag {args.lag} frames")
    for r in results:
        print(f"{r['model']} ({r['backend']}, mask {r['mask']})")
        print(f"  {'mode':<12}{'mean IoU':>10}{'flicker x1e-3':>15}{'masks':>7}{'warped':>8}{'warp ms p50/p95':>18}")
        for row in r["rows"]:
            cost = f"{row['warp_ms_p50']:.2f}/{row['warp_ms_p95']:.2f}" if row["warped_frames"] else "-"
            print(f"  {row['mode']:<12}{row['mean_iou']:>10.4f}{row['flicker']:>15.3f}{row['inferences']:>7}"
                  f"{row['warped_frames']:>8}{cost:>18}")
    return 0
