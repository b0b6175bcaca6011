"""Reading any reasonable picture as BGR uint8 (+ its own alpha), and writing cutouts atomically.

Reading goes through Pillow, which knows EXIF orientation, palettes, CMYK, 16-bit and LA/RGBA; everything becomes
8-bit BGR for the model and the compositor. Writing encodes in memory, then studio.core.atomic renames the finished
file into place, so an interrupted batch never leaves half a PNG under the final name.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from studio.compose.blend import over_color, over_image, to_bgra
from studio.core.atomic import WriteError, write_bytes_atomic
from studio.core.errors import StudioError
from studio.core.kinds import IMAGE_SUFFIXES  # noqa: F401 - the stills' answer to "is this a picture" (re-exported)
FORMATS = ("png", "webp", "jpg")
# Encoder settings per format, chosen with `studio bench encode` (time vs size on real cutouts); webp and jpg take
# the caller's quality in place of the number given here.
ENCODER_PARAMS: dict[str, list[int]] = {
    "png": [cv2.IMWRITE_PNG_COMPRESSION, 3],
    "webp": [cv2.IMWRITE_WEBP_QUALITY, 92],
    "jpg": [cv2.IMWRITE_JPEG_QUALITY, 92],
}


class ImageReadError(StudioError):
    """A file that is not a picture, is truncated or corrupt, or cannot be opened."""


class ImageWriteError(StudioError):
    pass


@dataclass
class LoadedImage:
    bgr: np.ndarray  # HxWx3 uint8
    alpha: np.ndarray | None  # HxW uint8 when the file had its own transparency
    path: Path
    mode: str  # the file's Pillow mode, e.g. "RGB", "CMYK", "I;16", "P"

    @property
    def size(self) -> tuple[int, int]:
        return self.bgr.shape[1], self.bgr.shape[0]


def _to_8bit(arr: np.ndarray) -> np.ndarray:
    """Integer or float single-channel data of any depth -> uint8."""
    if arr.dtype == np.uint8:
        return arr
    if np.issubdtype(arr.dtype, np.floating):
        hi = 1.0 if float(np.nanmax(arr)) <= 1.0 else 255.0
        return np.clip(np.nan_to_num(arr) * (255.0 / hi), 0, 255).round().astype(np.uint8)
    # 16-bit (or 32-bit int holding 16-bit data, Pillow's "I"): scale 0..65535 to 0..255.
    hi = 65535 if arr.max() > 255 else 255
    return np.clip((arr.astype(np.float32) * (255.0 / hi)).round(), 0, 255).astype(np.uint8)


def load_image(path: Path | str | bytes, *, name: str | None = None) -> LoadedImage:
    """The picture at ``path`` (or in ``bytes``, e.g. from stdin; ``name`` labels it in messages) as BGR uint8 with
    EXIF orientation applied; its alpha channel if it has one. Pillow's decompression-bomb limit applies (about
    89 MP): larger pictures go through studio.stills.large, under the batch's own --max-pixels limit."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if isinstance(path, bytes):
        source = io.BytesIO(path)
        path = Path(name or "<stdin>")
    else:
        path = Path(path)
        if not path.is_file():
            raise ImageReadError(f"no such image: {path}", hint="check the path")
        source = path
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source) as im:
                im.load()  # decode now, inside the try: a truncated file fails here, not later
                mode = im.mode
                im = ImageOps.exif_transpose(im) or im
                bgr, alpha = _pil_to_bgr(im)
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageReadError(f"cannot read image {path}: {exc}",
                             hint="the file is not a supported picture (JPEG, PNG, WebP, TIFF, BMP, GIF)") from None
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageReadError(f"cannot read image {path}: {exc}",
                             hint="the file looks truncated or corrupt; re-export or re-copy it") from None
    return LoadedImage(bgr, alpha, path, mode)


def _pil_to_bgr(im) -> tuple[np.ndarray, np.ndarray | None]:
    mode = im.mode
    alpha = None
    if mode == "P":
        im = im.convert("RGBA" if "transparency" in im.info else "RGB")
        mode = im.mode
    elif mode == "PA":
        im = im.convert("RGBA")
        mode = "RGBA"
    if mode in ("I;16", "I;16B", "I;16L", "I;16N", "I", "F"):
        grey = _to_8bit(np.asarray(im))
        return cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR), None
    if mode in ("1", "L"):
        grey = np.asarray(im.convert("L"))
        return cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR), None
    if mode == "LA":
        arr = np.asarray(im)
        return cv2.cvtColor(np.ascontiguousarray(arr[:, :, 0]), cv2.COLOR_GRAY2BGR), arr[:, :, 1].copy()
    if mode in ("RGBA", "RGBa"):
        arr = np.asarray(im.convert("RGBA"))
        return cv2.cvtColor(arr, cv2.COLOR_RGBA2BGR), arr[:, :, 3].copy()
    if mode != "RGB":  # CMYK, YCbCr, LAB, HSV, ...
        im = im.convert("RGB")
    return cv2.cvtColor(np.asarray(im), cv2.COLOR_RGB2BGR), alpha


def encode_cutout(image_bgr: np.ndarray, alpha: np.ndarray, fmt: str,
                  background: tuple[int, int, int] | np.ndarray | None = None, *, quality: int = 92) -> bytes:
    """Encode a cutout. png/webp keep the alpha unless a background (an (r, g, b) colour or a BGR picture) is given;
    jpg has no alpha, so it is always composited (over white by default)."""
    fmt = fmt.lower().lstrip(".")
    if fmt == "jpeg":
        fmt = "jpg"
    if fmt not in FORMATS:
        raise ImageWriteError(f"unknown output format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}")
    if background is None and fmt == "jpg":
        background = (255, 255, 255)
    if background is None:
        img = to_bgra(image_bgr, alpha)
    elif isinstance(background, np.ndarray):
        img = over_image(image_bgr, alpha, background)
    else:
        img = over_color(image_bgr, alpha, background)
    return encode_array(img, fmt, quality=quality)


def encode_array(img: np.ndarray, fmt: str, *, quality: int = 92) -> bytes:
    """Encode a ready BGR, BGRA or grey uint8 array (a grey one is a mask: PNG/JPEG keep it grey)."""
    fmt = "jpg" if fmt.lower().lstrip(".") == "jpeg" else fmt.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ImageWriteError(f"unknown output format {fmt!r}", hint=f"use one of {', '.join(FORMATS)}")
    if img.ndim == 2 and fmt == "webp":
        img = cv2.cvtColor(img, cv2.COLOR_GRAY2BGR)  # WebP has no grey mode
    params = ENCODER_PARAMS[fmt] if fmt == "png" else [ENCODER_PARAMS[fmt][0], quality]
    ok, buf = cv2.imencode("." + fmt, img, params)
    if not ok:
        raise ImageWriteError(f"could not encode a {img.shape[1]}x{img.shape[0]} picture as {fmt}")
    return buf.tobytes()


def encode_mask(alpha: np.ndarray, fmt: str = "png") -> bytes:
    """The alpha alone as a grey picture (white = subject), what rembg's --only-mask writes."""
    a = alpha if alpha.dtype == np.uint8 else cv2.convertScaleAbs(alpha, alpha=255.0)
    return encode_array(a, fmt)


def save_cutout(path: Path | str, image_bgr: np.ndarray, alpha: np.ndarray, fmt: str | None = None,
                background: tuple[int, int, int] | np.ndarray | None = None) -> Path:
    """Encode and write atomically; ``fmt`` defaults to the path's suffix."""
    path = Path(path)
    data = encode_cutout(image_bgr, alpha, fmt or path.suffix, background)
    try:
        write_bytes_atomic(path, data)
    except WriteError:
        raise  # names the file and says what to do already; keeps the errno (a full disk stops a batch)
    except OSError as exc:
        raise ImageWriteError(f"cannot write {path}: {exc}", hint="check the folder exists and is writable") from None
    return path


def read_rgba(data: bytes | Path) -> np.ndarray:
    """Decode a written cutout back to RGBA (Pillow), for checks and tests."""
    from PIL import Image

    src = io.BytesIO(data) if isinstance(data, bytes) else data
    with Image.open(src) as im:
        return np.asarray(im.convert("RGBA")).copy()
