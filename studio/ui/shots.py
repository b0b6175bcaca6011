"""Kiosk shots: file names from the SKU field, format presets, and atomic saving (a shot is never half-written)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from studio.core.atomic import write_bytes_atomic
from studio.core.errors import StudioError

PRESETS = {
    "png": ("Transparent PNG", ".png"),
    "jpg": ("White JPG", ".jpg"),
    "webp": ("WebP (transparent)", ".webp"),
}


class ShotSaveError(StudioError):
    """A shot could not be written; it is kept in the kiosk for another try."""


@dataclass
class Shot:
    image_bgr: np.ndarray  # the picture the cutout was made from (after preprocessing)
    alpha: np.ndarray  # HxW float32 [0, 1] at the picture's size
    rgba: np.ndarray  # straight-alpha RGBA uint8, for display
    sku: str
    taken_at: float = field(default_factory=time.time)
    saved_to: Path | None = None


def safe_stem(sku: str) -> str:
    """A file-name stem from what staff typed: letters, digits, '-', '_' and '.' kept; spaces become '-'."""
    stem = re.sub(r"\s+", "-", sku.strip())
    stem = re.sub(r"[^A-Za-z0-9._-]", "", stem).strip(".-")
    return stem[:80] or "shot"


def target_path(folder: Path, sku: str, fmt: str, when: float | None = None) -> Path:
    """FOLDER/SKU.ext, or SKU-2.ext, SKU-3.ext... so an earlier shot of the same SKU is never overwritten."""
    ext = PRESETS[fmt][1]
    stem = safe_stem(sku) if sku.strip() else time.strftime("shot-%Y%m%d-%H%M%S", time.localtime(when))
    path = folder / f"{stem}{ext}"
    n = 2
    while path.exists():
        path = folder / f"{stem}-{n}{ext}"
        n += 1
    return path


def over_colour(rgba: np.ndarray, colour_rgb: tuple[int, int, int]) -> np.ndarray:
    """RGB of the cutout composited over a flat colour."""
    a = rgba[..., 3:4].astype(np.float32) / 255.0
    bg = np.asarray(colour_rgb, np.float32)[None, None, :]
    out = rgba[..., :3].astype(np.float32) * a + bg * (1.0 - a)
    return np.clip(out + 0.5, 0, 255).astype(np.uint8)


def encode(shot: Shot, fmt: str) -> bytes:
    """Transparent PNG or WebP; JPG over white (studio.stills does the encoding, as `studio process` does)."""
    from studio.stills.imageio import ImageWriteError, encode_cutout

    if fmt not in PRESETS:
        raise ShotSaveError(f"unknown format {fmt!r}", hint=f"use one of {', '.join(PRESETS)}")
    try:
        return encode_cutout(shot.image_bgr, shot.alpha, fmt)
    except ImageWriteError as exc:
        raise ShotSaveError(exc.message, hint=exc.hint) from None


def save_shot(shot: Shot, folder: Path, fmt: str) -> Path:
    """Write the shot atomically; raises ShotSaveError (with a hint) and leaves nothing behind on failure."""
    data = encode(shot, fmt)
    try:
        dest = target_path(folder, shot.sku, fmt, shot.taken_at)
        write_bytes_atomic(dest, data)
    except OSError as exc:
        raise ShotSaveError(f"could not save the shot to {folder}: {exc.strerror or exc}",
                            hint="check the output folder (it must exist or be creatable, and be writable), "
                                 "then press Save again; the shot is kept") from None
    shot.saved_to = dest
    return dest
