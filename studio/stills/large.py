"""Very large pictures (a 12000x12000 scan, a stitched panorama) cut out in bounded memory.

Pictures up to ``DEFAULT_MAX_PIXELS`` are accepted (``--max-pixels`` / ``$STUDIO_MAX_PIXELS`` change it; anything over
is refused before it is decoded). Above ``LARGE_PIXELS`` a picture takes this path instead of the ordinary one, which
holds several float32 copies at full size (over 2 GB at 96 MP): decode once as 8-bit BGR (OpenCV, EXIF orientation
applied), shrink a copy to ``WORK_PIXELS`` for the model and the edge-aware refinement, scale the refined alpha up as
8-bit, and build the output in place (the cutout's BGRA, or the composite over the background, strip by strip). The
peak is about 1 + 4/3 bytes per pixel plus the encoded file: see the README for a measured figure.
"""

from __future__ import annotations

import os
from pathlib import Path

import cv2
import numpy as np

from studio.stills.imageio import ImageReadError

DEFAULT_MAX_PIXELS = 200_000_000  # 200 MP: a 14000x14000 picture; the environment or --max-pixels may change it
LARGE_PIXELS = 24_000_000  # above this, the bounded-memory path
WORK_PIXELS = 4_000_000  # resolution the model's mask is refined at for large pictures
STRIP_ROWS = 512


def max_pixels_default() -> int:
    env = os.environ.get("STUDIO_MAX_PIXELS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    return DEFAULT_MAX_PIXELS


def picture_size(path: Path) -> tuple[int, int]:
    """(width, height) from the file's header, without decoding it."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            w, h = im.size
            orientation = im.getexif().get(0x0112, 1) if hasattr(im, "getexif") else 1
    except UnidentifiedImageError:
        raise ImageReadError(f"cannot read image {path}: not a picture",
                             hint="the file is not a supported picture (JPEG, PNG, WebP, TIFF, BMP, GIF)") from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise ImageReadError(f"cannot read image {path}: {exc}",
                             hint="the file looks truncated or corrupt; re-export or re-copy it") from None
    return (h, w) if orientation in (5, 6, 7, 8) else (w, h)


def check_pixels(path: Path, size: tuple[int, int], max_pixels: int) -> None:
    w, h = size
    if w * h > max_pixels:
        raise ImageReadError(f"{path} is {w}x{h} ({w * h:,} pixels), over the limit of {max_pixels:,} pixels",
                             hint=f"raise the limit with --max-pixels {w * h} (needs about "
                                  f"{w * h * 4.5 / 2**30:.1f} GB of memory), or scale the picture down")


def is_large(size: tuple[int, int]) -> bool:
    return size[0] * size[1] > LARGE_PIXELS


def _decode(path: Path) -> np.ndarray:
    data = np.fromfile(str(path), np.uint8)  # read as bytes: works for any file name, and the bytes go soon
    try:
        bgr = cv2.imdecode(data, cv2.IMREAD_COLOR)
    finally:
        del data
    if bgr is None:
        raise ImageReadError(f"cannot decode the large picture {path}",
                             hint="re-export it as JPEG, PNG or TIFF, or scale it down")
    return bgr


def cut_large(cutter, path: Path, fmt: str, background, *, only_mask: bool = False, prep=None):
    """Cut out the large picture at ``path``. Returns (encoded bytes, info) where info has ``input_size``,
    ``model_input_size``, ``alpha_preview`` (the alpha at working size, for the quality flags) and ``notes``."""
    from studio.compose.blend import clear_hidden_colour
    from studio.stills.imageio import encode_array

    bgr = _decode(path)
    h, w = bgr.shape[:2]
    scale = (WORK_PIXELS / (w * h)) ** 0.5
    work = cv2.resize(bgr, (max(1, round(w * scale)), max(1, round(h * scale))), interpolation=cv2.INTER_AREA)
    cut = cutter.cut(work, prep=prep)
    notes = list(cut.notes) + [f"large picture: mask refined at {work.shape[1]}x{work.shape[0]} and scaled up"]
    if prep is not None and (prep.flicker or prep.white_balance):
        notes.append("preprocessing measured on the working copy; the full-size picture is saved as it was")
    alpha_small = cut.alpha
    del work, cut
    alpha8 = cv2.resize(cv2.convertScaleAbs(alpha_small, alpha=255.0), (w, h), interpolation=cv2.INTER_LINEAR)
    info = {"input_size": [w, h], "alpha_preview": alpha_small, "notes": notes}
    if only_mask:
        del bgr
        return encode_array(alpha8, fmt), info
    if background is None and fmt != "jpg":
        out = cv2.cvtColor(bgr, cv2.COLOR_BGR2BGRA)
        del bgr
        out[:, :, 3] = alpha8
        del alpha8
        return encode_array(clear_hidden_colour(out), fmt), info
    _composite_in_place(bgr, alpha8, (255, 255, 255) if background is None else background)
    del alpha8
    return encode_array(bgr, fmt), info


def _composite_in_place(bgr: np.ndarray, alpha8: np.ndarray, background) -> None:
    """``bgr`` becomes the subject over ``background`` (an (r, g, b) colour or a BGR picture), a strip at a time so
    that no float copy of the whole picture is made."""
    from studio.compose.blend import over_color, over_image
    from studio.compose.fit import cover_fit

    h, w = bgr.shape[:2]
    bg = cover_fit(background, (w, h)) if isinstance(background, np.ndarray) else None
    for r0 in range(0, h, STRIP_ROWS):
        r1 = min(h, r0 + STRIP_ROWS)
        if bg is None:
            bgr[r0:r1] = over_color(bgr[r0:r1], alpha8[r0:r1], background)
        else:
            bgr[r0:r1] = over_image(bgr[r0:r1], alpha8[r0:r1], bg[r0:r1])
