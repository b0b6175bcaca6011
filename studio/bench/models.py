"""`studio bench models`: every model x backend x frame size, timed through the same Segmenter the app uses.

Per row: load time (backend creation and compilation), first-inference time (first frame: lazy allocations, shape
specialisation), then after a warm-up the p50/p95 over ``runs`` of the whole Segmenter (frame in -> mask at model
size: resize/normalise + infer + activation) and of infer alone. Each (model, frame size) loads its backends afresh,
so the first-frame time belongs to that frame size, and times them in alternation (see bench_group). Rows of one
model are compared with its fastest row (by whole-Segmenter p50).
Frames are synthetic (fixed-seed noise over a gradient): these networks cost the same whatever the picture shows.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import sys
import time
from dataclasses import asdict, dataclass, field

import numpy as np

from studio.core.errors import StudioError

DEFAULT_SIZES = "640x480,1280x720,1920x1080"


@dataclass
class ModelBenchRow:
    model: str
    backend: str  # as requested ("auto" allowed)
    frame: str  # "640x480"
    runtime: str = ""  # what actually ran
    version: str = ""
    device: str = ""
    notes: str = ""
    input_size: str = ""  # what the model saw, "256x256"
    load_ms: float | None = None
    first_ms: float | None = None
    total_p50_ms: float | None = None  # whole Segmenter
    total_p95_ms: float | None = None
    infer_p50_ms: float | None = None  # backend.infer alone
    infer_p95_ms: float | None = None
    pre_p50_ms: float | None = None
    post_p50_ms: float | None = None
    cpu_p50_ms: float | None = None  # CPU time (all threads of the process) per Segmenter call: the cores it takes
    runs: int = 0
    ratio: float | None = None  # total_p50 / the model's fastest total_p50
    error: str | None = None


@dataclass
class ModelBenchResult:
    rows: list[ModelBenchRow]
    meta: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"bench": "models", "meta": self.meta, "rows": [asdict(r) for r in self.rows]}


def parse_size(text: str) -> tuple[int, int]:
    try:
        w, h = (int(v) for v in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"frame size {text!r}: expected WIDTHxHEIGHT, e.g. 1280x720") from None
    if w <= 0 or h <= 0:
        raise argparse.ArgumentTypeError(f"frame size {text!r} must be positive")
    return w, h


def _csv(text: str) -> list[str]:
    return [t.strip() for t in text.split(",") if t.strip()]


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def non_negative_int(text: str) -> int:
    value = int(text)
    if value < 0:
        raise argparse.ArgumentTypeError("must be 0 or more")
    return value


def synthetic_frame(width: int, height: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    ramp = np.linspace(0, 160, width, dtype=np.float32)[None, :, None]
    noise = rng.integers(0, 96, (height, width, 3), dtype=np.uint8)
    return np.clip(ramp + noise, 0, 255).astype(np.uint8)


def _ms(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values) * 1000.0, q))


class _Contender:
    """One backend of a group: its row, its Segmenter and its timings."""

    def __init__(self, row: ModelBenchRow, segmenter) -> None:
        self.row = row
        self.segmenter = segmenter
        self.totals: list[float] = []
        self.infers: list[float] = []
        self.pres: list[float] = []
        self.posts: list[float] = []
        self.cpu: list[float] = []

    def step(self, frame: np.ndarray, record: bool) -> None:
        c0 = time.process_time()
        seg = self.segmenter.segment(frame)
        if record:
            self.cpu.append(time.process_time() - c0)
            self.totals.append(seg.total_seconds)
            self.infers.append(seg.infer_seconds)
            self.pres.append(seg.pre_seconds)
            self.posts.append(seg.post_seconds)

    def finish(self) -> None:
        r = self.row
        r.runs = len(self.totals)
        r.total_p50_ms, r.total_p95_ms = _ms(self.totals, 50), _ms(self.totals, 95)
        r.infer_p50_ms, r.infer_p95_ms = _ms(self.infers, 50), _ms(self.infers, 95)
        r.pre_p50_ms, r.post_p50_ms = _ms(self.pres, 50), _ms(self.posts, 50)
        r.cpu_p50_ms = _ms(self.cpu, 50)


def bench_group(spec, backend_names: list[str], device: str, size: tuple[int, int], runs: int,
                warmup: int) -> list[ModelBenchRow]:
    """One model at one frame size on several backends, timed in alternation (run i of every backend, then run
    i+1): on a shared or thermally throttling box, load drifts over a minute, and alternating makes the drift hit
    every backend alike so the ratios stay fair. A backend that fails becomes its row's ``error``."""
    from studio.inference import open_segmenter

    frame = synthetic_frame(*size)
    rows: list[ModelBenchRow] = []
    contenders: list[_Contender] = []
    try:
        for name in backend_names:
            row = ModelBenchRow(model=spec.name, backend=name, frame=f"{size[0]}x{size[1]}")
            rows.append(row)
            gc.collect()
            t0 = time.perf_counter()
            try:
                segmenter = open_segmenter(spec, name, device)
            except StudioError as exc:
                row.error = exc.message
                continue
            row.load_ms = (time.perf_counter() - t0) * 1000.0
            info = segmenter.report.chosen
            row.runtime, row.version, row.device, row.notes = info.name, info.version, info.device, info.notes
            contender = _Contender(row, segmenter)
            contenders.append(contender)
            try:
                t0 = time.perf_counter()
                first = contender.segmenter.segment(frame)
                row.first_ms = (time.perf_counter() - t0) * 1000.0
                row.input_size = f"{first.input_size[0]}x{first.input_size[1]}"
            except Exception as exc:  # a runtime failing on the first frame is a result, not a reason to stop
                row.error = f"{type(exc).__name__}: {exc}"
        live = [c for c in contenders if c.row.error is None]
        for i in range(warmup + runs):
            record = i >= warmup
            if record:
                gc.disable()  # a collection inside a timed run is noise, not the model's cost
            try:
                for c in live:
                    if c.row.error is None:
                        try:
                            c.step(frame, record)
                        except Exception as exc:
                            c.row.error = f"{type(exc).__name__}: {exc}"
            finally:
                gc.enable()
        for c in live:
            if c.row.error is None:
                c.finish()
    finally:
        for c in contenders:
            c.segmenter.close()
    return rows


def add_ratios(rows: list[ModelBenchRow]) -> None:
    fastest: dict[str, float] = {}
    for r in rows:
        if r.total_p50_ms is not None:
            fastest[r.model] = min(fastest.get(r.model, r.total_p50_ms), r.total_p50_ms)
    for r in rows:
        if r.total_p50_ms is not None and fastest.get(r.model):
            r.ratio = r.total_p50_ms / fastest[r.model]


def cpu_name() -> str:
    """The CPU model ("AMD EPYC", "Intel(R) Core(TM) i5-1135G7"); platform.processor() is empty on Linux."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _meta(args) -> dict:
    import psutil

    from studio import __version__

    return {
        "studio": __version__,
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpu": cpu_name(),
        "physical_cores": psutil.cpu_count(logical=False),
        "logical_cpus": os.cpu_count(),
        "runs": args.runs,
        "warmup": args.warmup,
        "device": args.device,
        # Other processes on the box skew latency: the load average says how quiet the machine was.
        "loadavg": list(os.getloadavg()) if hasattr(os, "getloadavg") else None,
        "frames": "synthetic (fixed seed)",
        "command": " ".join(["studio"] + sys.argv[1:]) if sys.argv and "studio" in sys.argv[0] else "",
        "time": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }


def run_models_bench(models: list[str] | None, backends: list[str] | None, sizes: list[tuple[int, int]],
                     runs: int, warmup: int, device: str = "auto", progress=None,
                     on_rows=None) -> list[ModelBenchRow]:
    """Every model x size x backend row. ``progress(text)`` before each group; ``on_rows(rows, groups_done,
    groups_total, seconds_so_far)`` after each (the CLI prints rows as they finish, with an estimate of the rest)."""
    from studio.inference.registry import available_backends
    from studio.models import default_registry

    registry = default_registry()
    if not models:
        models = [s.name for s in registry.specs() if s.embedded and s.present()]
    if not backends:
        backends = [name for name, devices in available_backends().items() if devices]
    rows: list[ModelBenchRow] = []
    total, done, t_start = len(models) * len(sizes), 0, time.perf_counter()
    for name in models:
        try:
            spec, _path = registry.resolve(name)  # a missing or corrupt file is a row, not a crash
        except StudioError as exc:
            rows.extend(ModelBenchRow(model=name, backend=b, frame=f"{w}x{h}", error=exc.message)
                        for w, h in sizes for b in backends)
            continue
        for size in sizes:
            if progress:
                progress(f"{name} at {size[0]}x{size[1]}: {', '.join(backends)}")
            group = bench_group(spec, backends, device, size, runs, warmup)
            rows.extend(group)
            done += 1
            if on_rows:
                on_rows(group, done, total, time.perf_counter() - t_start)
    add_ratios(rows)
    return rows


def _fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def format_table(rows: list[ModelBenchRow]) -> str:
    head = (f"{'model':<17}{'backend':<12}{'device':<7}{'frame':<10}{'input':<9}{'load':>8}{'first':>8}"
            f"{'seg p50':>9}{'seg p95':>9}{'inf p50':>9}{'inf p95':>9}{'cpu p50':>9}{'x best':>8}")
    lines = [head, "-" * len(head)]
    for r in rows:
        lead = f"{r.model:<17}{r.backend:<12}{r.device or '-':<7}{r.frame:<10}"
        if r.error:
            lines.append(f"{lead}{'':<9}unavailable: {r.error.splitlines()[0]}")
            continue
        lines.append(f"{lead}{r.input_size:<9}{_fmt(r.load_ms, 0):>8}{_fmt(r.first_ms):>8}"
                     f"{_fmt(r.total_p50_ms, 2):>9}{_fmt(r.total_p95_ms, 2):>9}{_fmt(r.infer_p50_ms, 2):>9}"
                     f"{_fmt(r.infer_p95_ms, 2):>9}{_fmt(r.cpu_p50_ms, 2):>9}{_fmt(r.ratio, 2):>8}")
    lines.append("times in ms; seg = whole Segmenter (resize+normalise, infer, activation), inf = infer alone; "
                 "p50/p95 over the timed runs; cpu = CPU time of all threads per Segmenter call; "
                 "x best = seg p50 / the model's fastest seg p50")
    return "\n".join(lines)


# -- CLI -------------------------------------------------------------------------------------------------------------
def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print the results as JSON")
    p.add_argument("--out", metavar="FILE", help="also write the JSON results to FILE (atomically)")
    p.add_argument("--models", type=_csv, default=None, help="comma-separated model names (default: embedded ones)")
    p.add_argument("--backends", type=_csv, default=None,
                   help="comma-separated backends: onnxruntime, openvino, tensorrt, auto (default: installed ones)")
    p.add_argument("--device", default="auto", help="device for every backend (auto, cpu, cuda, gpu, ...)")
    p.add_argument("--sizes", type=lambda s: [parse_size(t) for t in _csv(s)], default=None,
                   help=f"comma-separated frame sizes WxH (default: {DEFAULT_SIZES})")
    p.add_argument("--runs", type=positive_int, default=50, help="timed runs per row (default 50)")
    p.add_argument("--warmup", type=non_negative_int, default=5, help="untimed runs before timing (default 5)")


def register(sub) -> None:
    p = sub.add_parser("models", help="models x backends x frame sizes: load, first frame, latency p50/p95",
                       description=__doc__)
    add_arguments(p)
    p.set_defaults(func=run)


def run(args) -> int:
    from studio.core.atomic import check_writable

    sizes = args.sizes or [parse_size(t) for t in _csv(DEFAULT_SIZES)]
    if args.out:
        check_writable(args.out, "results file")  # now, not after minutes of timing
    n_models = len(args.models) if args.models else "the embedded"
    n_backends = len(args.backends) if args.backends else "every installed"
    print(f"bench: {n_models} models x {len(sizes)} frame sizes x {n_backends} backends, {args.warmup} + {args.runs} "
          f"runs each; rows print as they finish, with an estimate after the first group", file=sys.stderr)

    def progress(text: str) -> None:
        print(f"  {text} ...", file=sys.stderr, flush=True)

    def on_rows(group, done: int, total: int, seconds: float) -> None:
        for line in format_table(group).splitlines()[2:-1]:
            print(f"    {line}", file=sys.stderr)
        left = seconds / done * (total - done)
        print(f"  [{done}/{total} groups, {seconds:.0f} s so far, about {left:.0f} s to go]", file=sys.stderr,
              flush=True)

    rows = run_models_bench(args.models, args.backends, sizes, args.runs, args.warmup, args.device, progress,
                            on_rows)
    result = ModelBenchResult(rows, _meta(args))
    text = json.dumps(result.to_json(), indent=2)
    print(text if args.json else format_table(rows))  # first: a disk that filled during the run must not cost the results
    if args.out:
        from studio.core.atomic import write_text_atomic

        write_text_atomic(args.out, text + "\n")
    return 0 if any(r.error is None for r in rows) else 1
