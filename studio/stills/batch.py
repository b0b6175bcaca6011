"""Batch cutouts: files, folders (optionally recursive) and globs in; one cutout per picture out (or its mask), written
atomically; a JSONL journal that makes a re-run skip what is already done with the same model and settings; a bad
file is recorded and the batch goes on, but a full or read-only disk stops it at once (every later write would fail
the same way). Very large pictures take a bounded-memory path (studio.stills.large)."""

from __future__ import annotations

import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np

from studio.core.atomic import WriteError, remove_stale_temps, write_bytes_atomic
from studio.core.errors import StudioError
from studio.core.kinds import Quality
from studio.stills.cutout import StillPrep
from studio.stills.imageio import FORMATS, encode_cutout, encode_mask, load_image
from studio.stills.inputs import BatchItem, expand_inputs, plan_outputs
from studio.stills.journal import Journal
from studio.stills.large import check_pixels, cut_large, is_large, max_pixels_default, picture_size

__all__ = ["BatchItem", "BatchOptions", "BatchResult", "expand_inputs", "plan_outputs", "process_batch",
           "quality_flags"]

log = logging.getLogger(__name__)

# Quality flags (fractions of the image's pixels).
EMPTY_BELOW = 0.001  # foreground (alpha > 0.5) under 0.1 %: the model found nothing
FULL_ABOVE = 0.999  # foreground over 99.9 %: the model took everything
UNCERTAIN_ABOVE = 0.15  # more than 15 % of pixels with 0.1 < alpha < 0.9: a mushy mask worth a look


@dataclass
class BatchResult:
    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)  # done in an earlier run (journal) and output still there
    failed: list[tuple[Path, str]] = field(default_factory=list)
    seconds: float = 0.0
    backend: str = ""
    stopped: str = ""  # why the batch stopped early (a full or read-only disk); "" when it ran to the end
    not_attempted: list[Path] = field(default_factory=list)  # left when it stopped
    redone: int = 0  # journal records of another model or other settings: those pictures were done again

    @property
    def ok(self) -> bool:
        return not self.failed and not self.stopped


@dataclass(frozen=True)
class BatchOptions:
    """How every picture is cut out and written (what the journal records, so a change redoes the pictures)."""

    fmt: str = "png"
    background: tuple[int, int, int] | np.ndarray | None = None
    background_label: str = ""  # what the journal records for a picture background (its path)
    prep: StillPrep = StillPrep()
    only_mask: bool = False
    max_pixels: int = 0  # 0: max_pixels_default()
    quality: str = "fast"  # "best": studio.stills.quality (several looks and models fused)
    refine: str = "guided"  # "none": the raw model mask, bilinearly resized
    edge_px: int = 0  # the alpha edge moved outward (> 0) or inward (< 0), pixels (refine.edge_px)

    def journal_settings(self) -> dict:
        bg = self.background_label or (list(self.background) if isinstance(self.background, tuple) else None)
        return {"format": self.fmt, "background": bg, "only_mask": self.only_mask, "flicker": self.prep.flicker,
                "white_balance": self.prep.white_balance, "wb_roi": self.prep.wb_roi,
                "wb_method": self.prep.wb_method if self.prep.white_balance else None,
                **({"quality": self.quality} if self.quality != Quality.FAST else {}),
                **({"refine": self.refine} if self.refine != "guided" else {}),
                **({"edge_px": self.edge_px} if self.edge_px else {})}


def quality_flags(alpha: np.ndarray) -> tuple[list[str], dict[str, float]]:
    fg = float(np.count_nonzero(alpha > 0.5)) / alpha.size
    uncertain = float(np.count_nonzero((alpha > 0.1) & (alpha < 0.9))) / alpha.size
    flags = []
    if fg < EMPTY_BELOW:
        flags.append("empty_mask")
    if fg > FULL_ABOVE:
        flags.append("full_mask")
    if uncertain > UNCERTAIN_ABOVE:
        flags.append("large_uncertain_band")
    return flags, {"foreground_fraction": round(fg, 5), "uncertain_fraction": round(uncertain, 5)}


def _progress(total: int, enabled: bool | None):
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return None
    from tqdm import tqdm

    return tqdm(total=total, unit="img", file=sys.stderr)


def process_batch(inputs: Iterable[str | Path], out_dir: str | Path | None, *, model: str = "u2netp",
                  backend: str = "auto", device: str = "auto", options: BatchOptions | None = None,
                  journal: str | Path | None = None, recursive: bool = False, single_output: Path | None = None,
                  progress: bool | None = None, engine: str = "overlap",
                  engine_options: dict | None = None, precision: str | None = None) -> BatchResult:
    """Cut out every input picture into ``out_dir`` (or, for one picture, into the file ``single_output``). See the
    module docstring. Raises StudioError when there is nothing to do at all (no picture found). ``engine``:
    "overlap" (decode and write on their own threads, studio.stills.engine), "sequential" or "ray" (many boxes,
    studio.stills.ray_engine, ``engine_options`` for it). ``precision``: a plan (studio.inference.precision; None:
    the model's default), recorded with each picture."""
    t_start = time.perf_counter()
    opts = options or BatchOptions()
    if opts.fmt not in FORMATS:
        raise StudioError(f"unknown output format {opts.fmt!r}", hint=f"use one of {', '.join(FORMATS)}")
    subdirs: dict[Path, Path] = {}
    files, missing = expand_inputs(inputs, recursive=recursive, subdirs=subdirs)
    if out_dir is not None:  # `-o shots/out` inside `shots/`: earlier results are not new inputs
        out_root = Path(out_dir).resolve()
        files = [f for f in files if not f.resolve().is_relative_to(out_root)]
    if not files:
        reasons = "; ".join(f"{p}: {why}" for p, why in missing) or "no input given"
        raise StudioError(f"no pictures to cut out ({reasons})",
                          hint="give picture files, folders that hold pictures (--recursive for subfolders) or a "
                               "quoted glob such as 'shots/*.jpg'")
    if single_output is not None:
        if len(files) != 1:
            raise StudioError(f"--out {single_output} names one file, but there are {len(files)} pictures",
                              hint="give --out a folder for several pictures")
        items = [BatchItem(files[0], single_output)]
    else:
        items = plan_outputs(files, Path(out_dir), opts.fmt, subdirs)
    result = BatchResult(failed=list(missing))
    jr = Journal(Path(journal), model, opts.journal_settings()) if journal else None
    try:
        todo = [it for it in items if not (jr and jr.is_done(it.input, it.output))]
        result.skipped = [it.input for it in items if it not in todo]
        result.redone = jr.other_settings if jr else 0
        if not todo:
            return result
        for it in todo:
            remove_stale_temps(it.output)  # what a killed run left beside its outputs
        from studio.stills.cutout import Cutter
        from studio.stills.engine import records as engine_records

        bar = _progress(len(todo), progress)
        with Cutter.for_batch(model, backend, device, opts, precision) as cutter:
            result.backend = cutter.backend_label
            for i, (it, record, disk_error) in enumerate(engine_records(todo, cutter, opts, engine,
                                                                            **(engine_options or {}))):
                if record["status"] == "ok":
                    result.written.append(it.output)
                else:
                    hint = f"\n  hint: {record['hint']}" if record.get("hint") else ""
                    result.failed.append((it.input, record["error"] + hint))
                    log.info("%s: %s", it.input, record["error"])
                if jr:
                    jr.write(record)
                if bar is not None:
                    bar.update(1)
                if disk_error is not None:
                    result.stopped = disk_error.message
                    result.not_attempted = [t.input for t in todo[i + 1:]]
                    break
        if bar is not None:
            bar.close()
    except WriteError as exc:  # the journal itself could not be written: the disk is the problem
        result.stopped = exc.message
        done = {p for p in result.written} | {p for p, _ in result.failed}
        result.not_attempted = [it.input for it in items if it.input not in done and it.input not in result.skipped]
    finally:
        if jr:
            jr.close()
        result.seconds = time.perf_counter() - t_start
    return result


def cut_picture(cutter, source: Path | bytes, opts: BatchOptions, *, name: str | None = None) -> tuple[bytes, dict]:
    """One picture (a file, or bytes read from stdin) -> (the encoded output, facts for the journal)."""
    limit = opts.max_pixels or max_pixels_default()
    if isinstance(source, Path):
        size = picture_size(source)
        check_pixels(source, size, limit)
        if is_large(size):
            data, info = cut_large(cutter, source, opts.fmt, opts.background, only_mask=opts.only_mask,
                                   prep=opts.prep)
            flags, fractions = quality_flags(info.pop("alpha_preview"))
            return data, {**info, "flags": flags, **fractions}
    img = load_image(source, name=name)
    check_pixels(img.path, img.size, limit)
    cut = cutter.cut(img.bgr, prep=opts.prep)
    flags, fractions = quality_flags(cut.alpha)
    data = (encode_mask(cut.alpha, opts.fmt) if opts.only_mask
            else encode_cutout(cut.image, cut.alpha, opts.fmt, opts.background))
    return data, {"input_size": list(img.size), "model_input_size": list(cut.model_input_size), "flags": flags,
                  **fractions, "notes": cut.notes}


def _process_one(it: BatchItem, cutter, opts: BatchOptions) -> tuple[dict, WriteError | None]:
    """The journal record for one picture, and the write error when the disk itself failed (the batch stops)."""
    t0 = time.perf_counter()
    from studio.stills.engine import plan_label

    record: dict = {"input": str(it.input.resolve()), "output": str(it.output.resolve()),
                    "backend": cutter.backend_label}
    if plan := plan_label(cutter):
        record["precision"] = plan  # which plan made this picture, as the overlapped and Ray engines say too
    disk_error = None
    try:
        data, info = cut_picture(cutter, it.input, opts)
        write_bytes_atomic(it.output, data)
        record.update({"status": "ok", "seconds": round(time.perf_counter() - t0, 4),
                       "preprocess": info.pop("notes", []), **info})
    except WriteError as exc:
        record.update({"status": "failed", "error": exc.message, "seconds": round(time.perf_counter() - t0, 4)})
        if exc.disk_problem:
            disk_error = exc
    except StudioError as exc:
        record.update({"status": "failed", "error": exc.message, "seconds": round(time.perf_counter() - t0, 4)})
        if exc.hint:
            record["hint"] = exc.hint
    except MemoryError:
        record.update({"status": "failed", "error": "out of memory (try a lower --max-pixels, or scale it down)",
                       "seconds": round(time.perf_counter() - t0, 4)})
    except Exception as exc:  # an unexpected failure on one picture must not cost the rest of the batch
        log.exception("unexpected error on %s", it.input)
        record.update({"status": "failed", "error": f"{type(exc).__name__}: {exc}",
                       "seconds": round(time.perf_counter() - t0, 4)})
    return record, disk_error
