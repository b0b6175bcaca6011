"""Turn a composited frame into what a sink takes (size, channel order, no alpha) in reused buffers.

Mirroring is not done here: the compositor mirrors once, for every sink (studio.compose.blend.Compositor)."""

from __future__ import annotations

import cv2
import numpy as np


def flatten_bgra(image: np.ndarray, out: np.ndarray, background: tuple[int, int, int] = (0, 0, 0),
                 scratch: dict | None = None) -> np.ndarray:
    """Composite an HxWx4 BGRA picture over a solid colour into ``out`` (HxWx3 BGR uint8) and return ``out``.

    Integer arithmetic through OpenCV (exact to one level), no float copies of the picture. ``scratch`` keeps the
    alpha planes between calls.
    """
    h, w = image.shape[:2]
    scratch = {} if scratch is None else scratch
    a1 = scratch.get("a1")
    if a1 is None or a1.shape != (h, w):
        a1 = scratch["a1"] = np.empty((h, w), np.uint8)
        scratch["a3"] = np.empty((h, w, 3), np.uint8)
        scratch["inv3"] = np.empty((h, w, 3), np.uint8)
        scratch["bg"] = None
    a3, inv3 = scratch["a3"], scratch["inv3"]
    cv2.extractChannel(image, 3, dst=a1)
    cv2.merge((a1, a1, a1), dst=a3)
    cv2.cvtColor(image, cv2.COLOR_BGRA2BGR, dst=out)
    cv2.multiply(out, a3, dst=out, scale=1.0 / 255.0)
    if any(background):
        bg = scratch.get("bg")
        if bg is None or bg.shape != (h, w, 3) or tuple(int(c) for c in bg[0, 0]) != tuple(background):
            bg = scratch["bg"] = np.empty((h, w, 3), np.uint8)
            bg[:] = background
        cv2.bitwise_not(a3, dst=inv3)
        cv2.multiply(bg, inv3, dst=inv3, scale=1.0 / 255.0)
        cv2.add(out, inv3, dst=out)
    return out


class FrameConverter:
    """Fit a BGR or BGRA frame to ``width`` x ``height``, drop alpha onto ``background``, reorder to RGB.

    ``convert`` returns a buffer owned by the converter, valid until the next call; when nothing needs doing (same
    size, BGR in, BGR out) it returns the input itself, so a BGR sink costs no copy.
    """

    def __init__(self, width: int, height: int, order: str = "RGB",
                 background: tuple[int, int, int] = (0, 0, 0)) -> None:
        if order not in ("RGB", "BGR"):
            raise ValueError(f"order must be RGB or BGR, got {order!r}")
        self.width, self.height, self.order = int(width), int(height), order
        self.background = background
        self._bufs: dict[str, np.ndarray] = {}
        self._scratch: dict = {}

    def _buf(self, key: str, channels: int) -> np.ndarray:
        buf = self._bufs.get(key)
        if buf is None:
            buf = self._bufs[key] = np.empty((self.height, self.width, channels), np.uint8)
        return buf

    def convert(self, image: np.ndarray) -> np.ndarray:
        src = image
        channels = src.shape[2] if src.ndim == 3 else 1
        if src.ndim == 2:
            src = cv2.cvtColor(src, cv2.COLOR_GRAY2BGR, dst=self._buf("grey", 3))
            channels = 3
        if src.shape[:2] != (self.height, self.width):
            # Area for shrinking keeps thin edges (hair) from aliasing; linear is fine and cheaper for growing.
            interp = cv2.INTER_AREA if src.shape[0] > self.height else cv2.INTER_LINEAR
            src = cv2.resize(src, (self.width, self.height), dst=self._buf(f"fit{channels}", channels),
                             interpolation=interp)
        if channels == 4:
            src = flatten_bgra(src, self._buf("flat", 3), self.background, self._scratch)
        if self.order == "RGB":
            src = cv2.cvtColor(src, cv2.COLOR_BGR2RGB, dst=self._buf("rgb", 3))
        return src
