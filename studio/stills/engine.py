"""The overlapped local engine for batches: decode the next pictures and encode/write finished ones on their own
threads while the runtime infers on the caller's thread.

    [decode thread]  header check, decode (Pillow)          -> bounded queue ->
    [caller]         cut_out: preprocessing, model, refine   -> bounded queue ->
    [write thread]   quality flags, encode, atomic write     -> finished records, in input order

Every stage calls the same functions as the sequential path (``batch.cut_picture``'s pieces: ``load_image``,
``Cutter.cut``, ``encode_cutout``/``encode_mask``, ``write_bytes_atomic``), so the files are byte-identical to it; the
pictures go through one FIFO per stage, so records come back (and the journal is written) in input order. A full or
read-only disk stops the write thread at the picture that met it: nothing after it is written, and the caller stops
there as it does on the sequential path. Pictures above ``large.LARGE_PIXELS`` take their bounded-memory path whole on
the caller's thread (decoding them ahead would defeat the bound).

``results(todo, cutter, opts)`` is a generator of ``(item, record, disk_error)`` like the sequential loop's; closing
it early (a ``break``, Ctrl-C) stops and joins both threads.
"""

from __future__ import annotations

import logging
import queue
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from studio.core.atomic import WriteError, write_bytes_atomic
from studio.core.errors import StudioError
from studio.core.worker import Worker

log = logging.getLogger(__name__)

ENGINES = ("overlap", "sequential", "ray")
QUEUE_DEPTH = 3  # pictures waiting between two stages: enough to hide a slow decode, bounded for memory
_POLL_S = 0.1  # how often a blocked stage looks at its stop flag
_END = object()


@dataclass
class _Job:
    """One picture on its way through the stages."""

    item: object  # BatchItem
    index: int
    t0: float = field(default_factory=time.perf_counter)
    image: object = None  # LoadedImage after decoding
    large: bool = False
    cut: object = None  # Cutout after inference
    data: bytes | None = None  # encoded output (the large path encodes on the caller's thread)
    info: dict = field(default_factory=dict)
    error: BaseException | None = None


def failure_record(record: dict, exc: BaseException, t0: float) -> WriteError | None:
    """Fill ``record`` for a failed picture, as the sequential path does; returns the error when the disk failed."""
    seconds = round(time.perf_counter() - t0, 4)
    if isinstance(exc, WriteError):
        record.update({"status": "failed", "error": exc.message, "seconds": seconds})
        return exc if exc.disk_problem else None
    if isinstance(exc, StudioError):
        record.update({"status": "failed", "error": exc.message, "seconds": seconds})
        if exc.hint:
            record["hint"] = exc.hint
    elif isinstance(exc, MemoryError):
        record.update({"status": "failed", "error": "out of memory (try a lower --max-pixels, or scale it down)",
                       "seconds": seconds})
    else:
        log.error("unexpected error: %s: %s", type(exc).__name__, exc)
        record.update({"status": "failed", "error": f"{type(exc).__name__}: {exc}", "seconds": seconds})
    return None


def plan_options(plan: str | None) -> dict | None:
    """open_segmenter's ``backend_options`` for a precision plan; None (the model's default) for None."""
    if plan is None:
        return None
    from studio.inference.precision import PLANS, backend_options

    if plan not in PLANS:
        raise StudioError(f"unknown precision plan {plan!r}", hint=f"one of {', '.join(PLANS)}")
    return backend_options(plan)


def plan_label(cutter) -> str:
    """The precision the runtime really runs ("f32", "bf16", ...), for the journal; "" when it does not say."""
    report = getattr(cutter, "report", None)
    extra = getattr(getattr(report, "chosen", None), "extra", None) or {}
    return str(extra.get("precision", ""))


def _put(q: queue.Queue, value, stopping) -> bool:
    while True:
        try:
            q.put(value, timeout=_POLL_S)
            return True
        except queue.Full:
            if stopping():
                return False


class _Decoder(Worker):
    """Reads pictures ahead of the model: header check, then decode (large pictures are left to the caller)."""

    def __init__(self, todo: list, opts, out: queue.Queue) -> None:
        super().__init__("stills-decode")
        self._todo = iter(enumerate(todo))
        self._opts = opts
        self._out = out

    def _run_once(self) -> bool:
        from studio.stills.imageio import load_image
        from studio.stills.large import check_pixels, is_large, max_pixels_default, picture_size

        nxt = next(self._todo, None)
        if nxt is None:
            _put(self._out, _END, lambda: self.stopping)
            return False
        job = _Job(nxt[1], nxt[0])
        try:
            limit = self._opts.max_pixels or max_pixels_default()
            size = picture_size(job.item.input)
            check_pixels(job.item.input, size, limit)
            if is_large(size):
                job.large = True
            else:
                job.image = load_image(job.item.input)
                check_pixels(job.image.path, job.image.size, limit)
        except BaseException as exc:  # noqa: BLE001 - recorded for this picture, the batch goes on
            job.error = exc
        return _put(self._out, job, lambda: self.stopping)


class _Writer(Worker):
    """Encodes and writes finished cutouts in order; stops at the first disk failure."""

    def __init__(self, opts, backend: str, plan: str, inbox: queue.Queue, done: queue.Queue) -> None:
        super().__init__("stills-write")
        self._opts = opts
        self._backend = backend
        self._plan = plan
        self._in = inbox
        self._done = done

    def _run_once(self) -> bool:
        try:
            job = self._in.get(timeout=_POLL_S)
        except queue.Empty:
            return True
        if job is _END:
            self._done.put(_END)
            return False
        record, disk_error = self._finish(job)
        self._done.put((job.item, record, disk_error))
        return disk_error is None

    def _finish(self, job: _Job) -> tuple[dict, WriteError | None]:
        from studio.stills.batch import quality_flags
        from studio.stills.imageio import encode_cutout, encode_mask

        it, opts = job.item, self._opts
        record: dict = {"input": str(it.input.resolve()), "output": str(it.output.resolve()),
                        "backend": self._backend}
        if self._plan:
            record["precision"] = self._plan
        try:
            if job.error is not None:
                raise job.error
            if job.data is None:
                cut = job.cut
                flags, fractions = quality_flags(cut.alpha)
                job.data = (encode_mask(cut.alpha, opts.fmt) if opts.only_mask
                            else encode_cutout(cut.image, cut.alpha, opts.fmt, opts.background))
                job.info = {"input_size": list(job.image.size), "model_input_size": list(cut.model_input_size),
                            "flags": flags, **fractions, "notes": cut.notes}
            write_bytes_atomic(it.output, job.data)
            record.update({"status": "ok", "seconds": round(time.perf_counter() - job.t0, 4),
                           "preprocess": job.info.pop("notes", []), **job.info})
            return record, None
        except BaseException as exc:  # noqa: BLE001 - recorded for this picture
            return record, failure_record(record, exc, job.t0)


def _infer(job: _Job, cutter, opts) -> None:
    """The caller's stage: the model (and, for a large picture, its whole bounded-memory path)."""
    if job.error is not None:
        return
    try:
        if job.large:
            from studio.stills.batch import cut_picture

            job.data, job.info = cut_picture(cutter, Path(job.item.input), opts)
        else:
            job.cut = cutter.cut(job.image.bgr, prep=opts.prep)
    except BaseException as exc:  # noqa: BLE001 - recorded for this picture
        if isinstance(exc, KeyboardInterrupt):
            raise
        job.error = exc


def results(todo: list, cutter, opts, *, depth: int = QUEUE_DEPTH) -> Iterator[tuple]:
    """``(item, record, disk_error)`` per picture of ``todo``, in order; see the module docstring."""
    decoded: queue.Queue = queue.Queue(maxsize=depth)
    cut: queue.Queue = queue.Queue(maxsize=depth)
    done: queue.Queue = queue.Queue()
    decoder = _Decoder(todo, opts, decoded)
    writer = _Writer(opts, cutter.backend_label, plan_label(cutter), cut, done)
    decoder.start()
    writer.start()
    try:
        while writer.alive:
            try:
                job = decoded.get(timeout=_POLL_S)
            except queue.Empty:
                if not decoder.alive and decoded.empty():
                    raise RuntimeError(f"the decode thread stopped: {decoder.error}") from decoder.error
                continue
            if job is not _END:
                _infer(job, cutter, opts)
            if not _put(cut, job, lambda: not writer.alive) or job is _END:
                break
            yield from _drain(done, writer, block=False)
        yield from _drain(done, writer, block=True)
    finally:
        decoder.stop()
        writer.stop()
        for w in (decoder, writer):
            if not w.join(10.0):
                log.error("%s did not stop", w.name)


def _drain(done: queue.Queue, writer: _Writer, *, block: bool) -> Iterator[tuple]:
    while True:
        try:
            got = done.get(timeout=_POLL_S) if block else done.get_nowait()
        except queue.Empty:
            if block and writer.alive:
                continue
            if block and not done.empty():
                continue
            return
        if got is _END:
            return
        yield got


def records(todo: list, cutter, opts, engine: str = "overlap", **engine_options) -> Iterator[tuple]:
    """The batch loop's records from the engine asked for: "overlap" (this module), "sequential" (one picture at a
    time, start to finish: the reference the overlapped path is measured against) or "ray" (studio.stills.ray_engine,
    with ``engine_options`` such as backend, device, address, workers; the caller's cutter is the pre-flight check)."""
    if engine == "ray":
        from studio.stills.ray_engine import ray_records

        yield from ray_records(todo, opts, model=cutter.spec.name, **engine_options)  # precision: in the options
        return
    if engine == "sequential":
        from studio.stills.batch import _process_one

        for it in todo:
            yield (it, *_process_one(it, cutter, opts))
    elif engine == "overlap":
        yield from results(todo, cutter, opts)
    else:
        raise StudioError(f"unknown engine {engine!r}", hint=f"one of {', '.join(ENGINES)}")
