"""numpy pictures <-> QImage. A QImage made here owns its memory (or keeps the array that backs it alive)."""

from __future__ import annotations

import cv2
import numpy as np
from PySide6.QtGui import QImage


def rgb_to_qimage(rgb: np.ndarray) -> QImage:
    """Wrap an HxWx3 RGB or HxWx4 RGBA uint8 array without a copy; the QImage keeps ``rgb`` alive."""
    h, w = rgb.shape[:2]
    fmt = QImage.Format.Format_RGBA8888 if rgb.shape[2] == 4 else QImage.Format.Format_RGB888
    img = QImage(rgb.data, w, h, int(rgb.strides[0]), fmt)
    img._keep = rgb  # noqa: SLF001 - the array must outlive the QImage that points into it
    return img


def bgr_to_qimage(bgr: np.ndarray, out: np.ndarray | None = None) -> QImage:
    """BGR(A) -> a QImage; ``out`` (same shape) is written when given, so a caller can reuse buffers."""
    code = cv2.COLOR_BGRA2RGBA if bgr.shape[2] == 4 else cv2.COLOR_BGR2RGB
    rgb = cv2.cvtColor(bgr, code, dst=out)
    return rgb_to_qimage(rgb)


def qimage_to_rgba(img: QImage) -> np.ndarray:
    """A QImage as an HxWx4 RGBA uint8 array (a copy)."""
    img = img.convertToFormat(QImage.Format.Format_RGBA8888)
    h, w = img.height(), img.width()
    arr = np.frombuffer(img.constBits(), np.uint8, count=img.sizeInBytes()).reshape(h, img.bytesPerLine())
    return arr[:, : w * 4].reshape(h, w, 4).copy()
