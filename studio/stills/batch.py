"""Batch cutouts: files, folders and globs in; one cutout per image out, written atomically; a JSONL journal that
makes a re-run skip what is already done; a bad file is recorded and the batch goes on."""

from __future__ import annotations

import glob
import json
import logging
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np

from studio.core.errors import StudioError
from studio.stills.imageio import FORMATS, IMAGE_SUFFIXES, load_image, save_cutout
from studio.stills.cutout import StillPrep

log = logging.getLogger(__name__)

# Quality flags (fractions of the image's pixels).
EMPTY_BELOW = 0.001  # foreground (alpha > 0.5) under 0.1 %: the model found nothing
FULL_ABOVE = 0.999  # foreground over 99.9 %: the model took everything
UNCERTAIN_ABOVE = 0.15  # more than 15 % of pixels with 0.1 < alpha < 0.9: a mushy mask worth a look


@dataclass
class BatchItem:
    input: Path
    output: Path


@dataclass
class BatchResult:
    written: list[Path] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)  # done in an earlier run (journal) and output still there
    failed: list[tuple[Path, str]] = field(default_factory=list)
    seconds: float = 0.0
    backend: str = ""

    @property
    def ok(self) -> bool:
        return not self.failed


def _is_pattern(text: str) -> bool:
    return any(c in text for c in "*?[")


def expand_inputs(inputs: Iterable[str | Path]) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Files as given, folders' pictures (not recursive, sorted), globs expanded (sorted). Missing inputs and
    patterns that match nothing come back as failures, so a typo is not a silent success."""
    files: list[Path] = []
    missing: list[tuple[Path, str]] = []
    seen: set[Path] = set()

    def add(p: Path) -> None:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            files.append(p)

    for item in inputs:
        text = str(item)
        p = Path(text)
        if p.is_dir():
            for child in sorted(p.iterdir()):
                if child.is_file() and child.suffix.lower() in IMAGE_SUFFIXES:
                    add(child)
        elif p.is_file():
            add(p)
        elif _is_pattern(text):
            matches = sorted(Path(m) for m in glob.glob(text, recursive=True))
            matches = [m for m in matches if m.is_file() and m.suffix.lower() in IMAGE_SUFFIXES]
            if not matches:
                missing.append((p, "no image matches this pattern"))
            for m in matches:
                add(m)
        else:
            missing.append((p, "no such file or folder"))
    return files, missing


def plan_outputs(files: list[Path], out_dir: Path, fmt: str) -> list[BatchItem]:
    """``photo.jpg`` -> ``OUT/photo.<fmt>``. Two inputs with one stem (a.jpg, a.png) would overwrite each other: the
    later ones get their suffix in the name (``a_png.png``)."""
    taken: set[str] = set()
    items = []
    for f in files:
        name = f"{f.stem}.{fmt}"
        if name.lower() in taken:
            name = f"{f.stem}_{f.suffix.lstrip('.').lower()}.{fmt}"
            n = 2
            while name.lower() in taken:
                name = f"{f.stem}_{f.suffix.lstrip('.').lower()}_{n}.{fmt}"
                n += 1
        taken.add(name.lower())
        items.append(BatchItem(f, out_dir / name))
    return items


class Journal:
    """Append-only JSON lines, one per image. A torn last line (crash mid-write) is ignored when read back."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.done: dict[str, str] = {}  # resolved input path -> output path, for records with status "ok"
        if self.path.is_file():
            for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines():
                try:
                    rec = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(rec, dict) and rec.get("status") == "ok" and "input" in rec and "output" in rec:
                    self.done[rec["input"]] = rec["output"]
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = open(self.path, "a", encoding="utf-8")

    def is_done(self, item: BatchItem) -> bool:
        out = self.done.get(str(item.input.resolve()))
        return out is not None and out == str(item.output.resolve()) and item.output.is_file()

    def write(self, record: dict) -> None:
        self._fh.write(json.dumps(record, sort_keys=False) + "\n")
        self._fh.flush()
        os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()


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


def process_batch(inputs: Iterable[str | Path], out_dir: str | Path, *, model: str = "u2netp",
                  backend: str = "auto", device: str = "auto", fmt: str = "png",
                  background: tuple[int, int, int] | np.ndarray | None = None, journal: str | Path | None = None,
                  flicker: bool = False, white_balance_roi: tuple[int, int, int, int] | None = None,
                  white_balance_on: bool = False, wb_method: str = "grey-world",
                  progress: bool | None = None) -> BatchResult:
    """Cut out every input image into ``out_dir``. See the module docstring; ``background`` is an (r, g, b) colour
    or a BGR picture (None: transparent png/webp, white jpg)."""
    t_start = time.perf_counter()
    fmt = fmt.lower()
    if fmt == "jpeg":
        fmt = "jpg"
    if fmt not in FORMATS:
        raise StudioError(f"unknown output format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}")
    out_dir = Path(out_dir)
    files, missing = expand_inputs(inputs)
    result = BatchResult(failed=list(missing))
    items = plan_outputs(files, out_dir, fmt)
    jr = Journal(Path(journal)) if journal else None
    try:
        todo = [it for it in items if not (jr and jr.is_done(it))]
        result.skipped = [it.input for it in items if it not in todo]
        if not todo:
            return result
        from studio.stills.cutout import Cutter

        bar = _progress(len(todo), progress)
        with Cutter(model, backend, device) as cutter:
            result.backend = cutter.backend_label
            for it in todo:
                record = _process_one(it, cutter, model, fmt, background, flicker,
                                      white_balance_roi if white_balance_on else None, white_balance_on, wb_method)
                if record["status"] == "ok":
                    result.written.append(it.output)
                else:
                    result.failed.append((it.input, record["error"]))
                    log.warning("%s: %s", it.input, record["error"])
                if jr:
                    jr.write(record)
                if bar is not None:
                    bar.update(1)
        if bar is not None:
            bar.close()
    finally:
        if jr:
            jr.close()
        result.seconds = time.perf_counter() - t_start
    return result


def _process_one(it: BatchItem, cutter, model: str, fmt: str, background, flicker: bool,
                 wb_roi, wb_on: bool, wb_method: str) -> dict:
    t0 = time.perf_counter()
    record: dict = {"input": str(it.input.resolve()), "output": str(it.output.resolve()), "model": model,
                    "backend": cutter.backend_label}
    try:
        img = load_image(it.input)
        bgr = img.bgr
        record["input_size"] = list(img.size)
        cut = cutter.cut(bgr, prep=StillPrep(flicker, wb_on, wb_roi, wb_method))
        pre = cut.notes
        flags, fractions = quality_flags(cut.alpha)
        save_cutout(it.output, cut.image, cut.alpha, fmt, background)
        record.update({"status": "ok", "model_input_size": list(cut.model_input_size),
                       "seconds": round(time.perf_counter() - t0, 4), "flags": flags, **fractions,
                       "preprocess": pre})
    except StudioError as exc:
        record.update({"status": "failed", "error": exc.message, "seconds": round(time.perf_counter() - t0, 4)})
    except Exception as exc:  # an unexpected failure on one picture must not cost the rest of the batch
        log.exception("unexpected error on %s", it.input)
        record.update({"status": "failed", "error": f"{type(exc).__name__}: {exc}",
                       "seconds": round(time.perf_counter() - t0, 4)})
    return record
