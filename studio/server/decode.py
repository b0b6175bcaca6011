"""Uploads -> BGR pictures, with the limits checked before any pixel is decoded.

Only JPEG, PNG and WebP are accepted. The header's width and height are read first (Pillow opens lazily), so a
decompression bomb (a few kB that claim 50,000 x 50,000 pixels) is refused with 413 before it can take memory."""

from __future__ import annotations

import io
import warnings

import cv2
import numpy as np

from studio.server.options import Limits, ServeError

ACCEPTED_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
RAW_CONTENT_TYPES = ("image/jpeg", "image/png", "image/webp", "application/octet-stream")
MULTIPART = "multipart/form-data"


def media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def check_content_type(content_type: str | None) -> str:
    """The request's media type when it is one we take (a raw picture or multipart), else 415."""
    mt = media_type(content_type)
    if mt in RAW_CONTENT_TYPES or mt == MULTIPART or mt == "image/jpg":
        return mt
    shown = mt or "none"
    raise ServeError(415, "unsupported_media_type",
                     f"content type {shown!r} is not accepted: send the picture as the raw body (image/jpeg, "
                     f"image/png, image/webp or application/octet-stream) or as the 'file' field of "
                     f"multipart/form-data")


def decode_upload(data: bytes, limits: Limits) -> np.ndarray:
    """An uploaded JPEG/PNG/WebP as HxWx3 BGR uint8 (EXIF orientation applied); ServeError (4xx) otherwise."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not data:
        raise ServeError(400, "empty_body", "the request has no picture (empty body)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(ACCEPTED_FORMATS)) as im:
                w, h = im.size
                check_dimensions(w, h, limits)
                im.load()  # decode now: a truncated file fails here
                im = ImageOps.exif_transpose(im) or im
                rgb = np.asarray(im.convert("RGB"))
    except ServeError:
        raise
    except UnidentifiedImageError:
        raise ServeError(400, "not_an_image", "the body is not a JPEG, PNG or WebP picture") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ServeError(413, "too_many_pixels", f"the picture is too large to decode: {exc}") from None
    except (OSError, SyntaxError, ValueError, EOFError, struct_error()) as exc:
        raise ServeError(400, "corrupt_image", f"the picture is truncated or corrupt: {exc}") from None
    if rgb.ndim != 3 or rgb.shape[0] < 1 or rgb.shape[1] < 1:
        raise ServeError(400, "corrupt_image", "the picture has no pixels")
    return cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR)


def struct_error():
    import struct

    return struct.error


def check_dimensions(width: int, height: int, limits: Limits) -> None:
    if width < 1 or height < 1:
        raise ServeError(400, "corrupt_image", f"the picture claims {width}x{height} pixels")
    if width > limits.max_side or height > limits.max_side:
        raise ServeError(413, "too_large_dimensions",
                         f"the picture is {width}x{height}; each side may be at most {limits.max_side} pixels")
    if width * height > limits.max_pixels:
        raise ServeError(413, "too_many_pixels",
                         f"the picture is {width}x{height} = {width * height} pixels; at most {limits.max_pixels}")


def fit_max_side(image_bgr: np.ndarray, max_side: int | None) -> np.ndarray:
    """Scale down (never up) so the longer side is at most ``max_side``."""
    if not max_side:
        return image_bgr
    h, w = image_bgr.shape[:2]
    longer = max(h, w)
    if longer <= max_side:
        return image_bgr
    s = max_side / longer
    size = (max(1, round(w * s)), max(1, round(h * s)))
    return cv2.resize(image_bgr, size, interpolation=cv2.INTER_AREA)
