"""Drawn person scenes kept on disk, so the demo starts without drawing it again.

Drawing the person scene is numpy over every pixel of a supersampled canvas: 0.65 s at 1280x720 and 1.5 s at
1920x1080 on a 2-core box, plus 0.15-0.4 s of sensor-noise fields, all before the first frame of `studio gui`'s demo
or `studio cam --source synthetic`. Loading the same arrays back takes a few milliseconds. The key holds everything
the pixels depend on: the size, seed and noise, and a digest of the drawing code itself, so a changed drawing never
loads a stale picture. Scenes above 1080 lines are not kept (tens of MB each), nor anything when the drawing code
cannot be read (a frozen build): they are drawn as before. A cache that cannot be read or written is skipped, never
an error: the scene is drawn instead.
"""

from __future__ import annotations

import hashlib
import io
import logging
from functools import lru_cache
from pathlib import Path

import numpy as np

from studio.core import paths

log = logging.getLogger(__name__)

MAX_CACHED_HEIGHT = 1080


@lru_cache(maxsize=1)
def _code_digest() -> str | None:
    """sha256 over the source of the modules that draw a scene; None when it cannot be read."""
    here = Path(__file__).resolve().parent
    files = sorted(here.glob("*.py")) + [here.parent / "synthetic.py"]
    digest = hashlib.sha256()
    try:
        for f in files:
            digest.update(f.name.encode())
            digest.update(f.read_bytes())
    except OSError:
        return None
    return digest.hexdigest()[:16]


def scene_path(width: int, height: int, seed: int, noise: float) -> Path | None:
    """Where the person scene for these parameters is kept; None when it is not to be kept."""
    code = _code_digest()
    if code is None or height > MAX_CACHED_HEIGHT:
        return None
    return paths.engines_dir() / "scenes" / f"person-{width}x{height}-s{seed}-n{noise:g}-{code}.npz"


def load(path: Path | None) -> dict[str, np.ndarray] | None:
    if path is None or not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as data:
            return {name: data[name] for name in data.files}
    except (OSError, ValueError, KeyError) as exc:
        log.info("drawn scene %s not usable (%s): drawing it again", path, exc)
        return None


def save(path: Path | None, arrays: dict[str, np.ndarray]) -> None:
    if path is None:
        return
    from studio.core.atomic import write_bytes_atomic

    buf = io.BytesIO()
    np.savez(buf, **arrays)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        write_bytes_atomic(path, buf.getvalue())
    except OSError as exc:  # WriteError is an OSError too: a full or read-only disk costs only the next start
        log.info("could not keep the drawn scene at %s: %s", path, exc)
