"""What a batch reads and where it writes: files, folders (optionally recursive) and globs in; one output path per
picture out, in a folder, or one named file for a single picture."""

from __future__ import annotations

import glob
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from studio.stills.imageio import IMAGE_SUFFIXES


@dataclass
class BatchItem:
    input: Path
    output: Path


def _is_pattern(text: str) -> bool:
    return any(c in text for c in "*?[")


def _is_picture(p: Path) -> bool:
    return p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES and not p.name.startswith(".")


def expand_inputs(inputs: Iterable[str | Path], *, recursive: bool = False,
                  subdirs: dict[Path, Path] | None = None) -> tuple[list[Path], list[tuple[Path, str]]]:
    """Files as given, folders' pictures (sorted; with ``recursive`` their subfolders' too, whose place under the
    folder goes into ``subdirs``), globs expanded (sorted). Missing inputs, folders without pictures and patterns
    that match nothing come back as failures, so a typo is not a silent success."""
    files: list[Path] = []
    missing: list[tuple[Path, str]] = []
    seen: set[Path] = set()

    def add(p: Path, sub: Path | None = None) -> None:
        key = p.resolve()
        if key not in seen:
            seen.add(key)
            files.append(p)
            if sub is not None and subdirs is not None and str(sub) != ".":
                subdirs[p] = sub

    for item in inputs:
        text = str(item)
        p = Path(text)
        if p.is_dir():
            children = sorted(p.rglob("*")) if recursive else sorted(p.iterdir())
            pictures = [c for c in children if _is_picture(c)]
            if not pictures:
                deeper = not recursive and any(_is_picture(c) for c in p.rglob("*"))
                missing.append((p, "no pictures in this folder"
                                + (" (its subfolders have some: add --recursive)" if deeper else "")))
            for child in pictures:
                add(child, child.parent.relative_to(p))
        elif p.is_file():
            add(p)
        elif _is_pattern(text):
            matches = sorted(Path(m) for m in glob.glob(text, recursive=True))
            matches = [m for m in matches if _is_picture(m)]
            if not matches:
                missing.append((p, "no picture matches this pattern"))
            for m in matches:
                add(m)
        else:
            missing.append((p, "no such file or folder"))
    return files, missing


def plan_outputs(files: list[Path], out_dir: Path, fmt: str,
                 subdirs: dict[Path, Path] | None = None) -> list[BatchItem]:
    """``photo.jpg`` -> ``OUT/photo.<fmt>`` (``OUT/sub/photo.<fmt>`` for a recursive folder's subfolder). Two inputs
    with one stem (a.jpg, a.png) would overwrite each other: the later ones get their suffix in the name
    (``a_png.png``)."""
    taken: set[str] = set()
    items = []
    subdirs = subdirs or {}
    for f in files:
        folder = out_dir / subdirs[f] if f in subdirs else out_dir
        name = f"{f.stem}.{fmt}"
        if str(folder / name).lower() in taken:
            name = f"{f.stem}_{f.suffix.lstrip('.').lower()}.{fmt}"
            n = 2
            while str(folder / name).lower() in taken:
                name = f"{f.stem}_{f.suffix.lstrip('.').lower()}_{n}.{fmt}"
                n += 1
        taken.add(str(folder / name).lower())
        items.append(BatchItem(f, folder / name))
    return items
