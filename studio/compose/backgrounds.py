"""Backgrounds: blur, solid colour, picture, looping video, transparent. ``make_background`` builds one from settings.

Each renders into a buffer it keeps per frame size; the result is valid until the next ``render``.
"""

from __future__ import annotations

import logging
import math
import re
import time
from pathlib import Path
from typing import Callable

import cv2
import numpy as np

from studio.compose.base import Background, BackgroundError
from studio.compose.fit import cover_fit
from studio.config.settings import BackgroundSettings
from studio.core.kinds import BackgroundKind

log = logging.getLogger(__name__)

NAMED_COLORS = {
    "white": (255, 255, 255), "black": (0, 0, 0), "grey": (128, 128, 128), "gray": (128, 128, 128),
    "red": (255, 0, 0), "green": (0, 177, 64), "blue": (0, 0, 255), "chroma": (0, 177, 64),
}
_HEX = re.compile(r"#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})")


def parse_color(text: str) -> tuple[int, int, int]:
    """'#rrggbb', 'rrggbb', '#rgb' or a few names -> (r, g, b)."""
    t = text.strip().lower()
    if t in NAMED_COLORS:
        return NAMED_COLORS[t]
    m = _HEX.fullmatch(t)
    if not m:
        raise BackgroundError(f"not a colour: {text!r}",
                              hint=f"use #rrggbb (e.g. #00b140) or one of {', '.join(NAMED_COLORS)}")
    h = m.group(1)
    if len(h) == 3:
        h = "".join(c * 2 for c in h)
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def is_color(text: str) -> bool:
    try:
        parse_color(text)
    except BackgroundError:
        return False
    return True


class BlurBackground:
    """The frame itself, blurred. ``strength`` is the Gaussian kernel size at full resolution (pixels).

    Blurring a large kernel at full size costs tens of ms; a blur is low-frequency by definition, so the frame is
    halved (INTER_AREA at exactly 2x is a fast path; other ratios cost ~1 ms) until about one pixel of sigma is left
    and at least until the long side is at most MAX_SIDE, blurred there and scaled back up bilinearly (as OBS's blur
    filters do): ~1-2 ms at 720p whatever the strength. The area shrink is the anti-aliasing filter: a Gaussian of
    sigma 0.9 sampled at that grid keeps 2 % at its Nyquist frequency, below what the eye sees in a blur.

    Given the subject's ``alpha`` (any size: the refiner's capped one is fine), ``render`` blurs without the subject
    (halo-free): at the small size, the frame weighted by ``1 - alpha`` and the weights are blurred alike and divided
    (a normalised convolution), so the subject's colours do not bleed into the background around it (a bright
    shirt's glow, dark hair's shadow). Where the subject covers the whole neighbourhood, the plain blur fills in (it
    sits behind the subject anyway).
    """

    name = "blur"
    MIN_SIGMA = 1.2  # stop halving before the small blur gets too coarse to hide the bilinear upscale ...
    MAX_SIDE = 1280  # ... unless the frame is still larger than this: a weak blur of a 4K frame is done at 960x540
    # A frame over MAX_SIDE halves on to this instead: against a full-size Gaussian of strength 21 on the room picture
    # at 1920x1080, 1.2 leaves a mean 0.11 grey levels off (99.9th percentile 1) with the blur at 960x540 in 3 ms, 0.8
    # 0.25 (3) at 480x270 in 0.7 ms. Smaller frames keep 1.2: on the matting crops 0.8 raised the halo-free blur's
    # halo from 2.72 to 2.92 grey levels (installers/eval_detail_cap.py), for a blur that costs little there.
    BIG_MIN_SIGMA = 0.8
    FLOOR = 0.01  # the subject's weight in the halo-free blur: with under ~1 % background around, plain blur fills in

    def __init__(self, strength: int = 21) -> None:
        self.strength = max(1, int(strength))
        self._size: tuple[int, int] | None = None

    def _allocate(self, w: int, h: int) -> None:
        self._size = (w, h)
        sigma = 0.3 * ((self.strength - 1) * 0.5 - 1) + 0.8  # OpenCV's sigma for a kernel of this size
        self._levels: list[np.ndarray] = []
        lw, lh = w, h
        min_sigma = self.MIN_SIGMA if max(w, h) <= self.MAX_SIDE else self.BIG_MIN_SIGMA
        while (sigma / 2 >= min_sigma or max(lw, lh) > self.MAX_SIDE) and lw >= 32 and lh >= 32:
            lw, lh, sigma = lw // 2, lh // 2, sigma / 2
            self._levels.append(np.empty((lh, lw, 3), np.uint8))
        self._sigma_small = sigma if self._levels else 0
        k = 2 * math.ceil(3 * sigma) + 1 if self._levels else self.strength | 1
        self._ksize = (k, k)
        self._small_blur = np.empty((lh, lw, 3), np.uint8)
        self._out = np.empty((h, w, 3), np.uint8)
        self._buffers: dict[tuple, np.ndarray] = {}  # the halo-free path's, by name and shape

    def _shrink(self, img: np.ndarray, count: int | None = None) -> np.ndarray:
        """``img`` halved down to the blur's level (or ``count`` times), in the level buffers (the frame itself when
        there are none)."""
        src = img
        for level in self._levels[:count]:
            src = cv2.resize(src, (level.shape[1], level.shape[0]), dst=level, interpolation=cv2.INTER_AREA)
        return src

    def render(self, frame_bgr: np.ndarray, alpha: np.ndarray | None = None) -> np.ndarray:
        small = self.render_small(frame_bgr, alpha)
        if small.shape == frame_bgr.shape:
            return small
        h, w = frame_bgr.shape[:2]
        return cv2.resize(small, (w, h), dst=self._out, interpolation=cv2.INTER_LINEAR)

    def render_small(self, frame_bgr: np.ndarray, alpha: np.ndarray | None = None) -> np.ndarray:
        """The blur at the size it is made (the frame's aspect, smaller): the Compositor scales it up straight into
        its output, which saves a full-size copy (3-4 ms at 4K)."""
        h, w = frame_bgr.shape[:2]
        if self._size != (w, h):
            self._allocate(w, h)
        if alpha is None:
            cv2.GaussianBlur(self._shrink(frame_bgr), self._ksize, self._sigma_small, dst=self._small_blur)
        else:
            self._without_subject(frame_bgr, alpha)
        return self._small_blur

    def _without_subject(self, frame_bgr: np.ndarray, alpha: np.ndarray) -> None:
        """The blur of the background alone into ``self._small_blur``: a normalised convolution with the weights
        ``1 - alpha + FLOOR`` (the floor lets the plain blur fill in where the subject covers the neighbourhood),
        blur(frame * weight) / blur(weight), in four uint8 passes at the small size.

        The frame is weighted at the largest of its halvings that the alpha covers (the alpha's own size: weighting
        before the area shrinks keeps a sharp subject edge out of the mixed pixels), in uint8 so that the shrinks
        stay cheap."""
        pictures = [frame_bgr, *self._levels]
        ah, aw = alpha.shape[:2]
        j = next((i for i, p in enumerate(pictures) if p.shape[0] <= ah and p.shape[1] <= aw), len(pictures) - 1)
        picture = self._shrink(frame_bgr, j)  # only as far as the alpha's size: below it the weighted copy shrinks
        ph, pw = picture.shape[:2]
        a = alpha if alpha.dtype == np.float32 else alpha.astype(np.float32)
        if (aw, ah) != (pw, ph):
            a = cv2.resize(a, (pw, ph), dst=self._scratch("alpha", (ph, pw), np.float32),
                           interpolation=cv2.INTER_AREA if aw > pw else cv2.INTER_LINEAR)
        # 1 - a, scaled into [FLOOR, 1], in uint8
        weight8 = cv2.convertScaleAbs(a, dst=self._scratch("w", (ph, pw)), alpha=-255.0 * (1.0 - self.FLOOR),
                                      beta=255.0)
        weight3 = cv2.merge([weight8, weight8, weight8], dst=self._scratch("w3", (ph, pw, 3)))
        weighted = cv2.multiply(picture, weight3, dst=self._scratch("fw", (ph, pw, 3)), scale=1.0 / 255.0)
        for level in self._levels[j:]:
            lh, lw = level.shape[:2]
            weighted = cv2.resize(weighted, (lw, lh), dst=self._scratch("fw", level.shape),
                                  interpolation=cv2.INTER_AREA)
            weight8 = cv2.resize(weight8, (lw, lh), dst=self._scratch("w", (lh, lw)), interpolation=cv2.INTER_AREA)
        # blurred in uint8 (OpenCV's fixed-point fast path: 2x cheaper than a float blur and divide)
        num = cv2.GaussianBlur(weighted, self._ksize, self._sigma_small, dst=self._scratch("num", weighted.shape))
        den = cv2.GaussianBlur(weight8, self._ksize, self._sigma_small, dst=self._scratch("den", weight8.shape))
        den3 = cv2.merge([den, den, den], dst=self._scratch("den3", weighted.shape))
        cv2.divide(num, den3, dst=self._small_blur, scale=255.0)

    def _scratch(self, name: str, shape: tuple[int, ...], dtype=np.uint8) -> np.ndarray:
        """A buffer kept per (name, shape) for the halo-free path, so a frame allocates nothing."""
        key = (name, shape)
        buf = self._buffers.get(key)
        if buf is None:
            buf = self._buffers[key] = np.empty(shape, dtype)
        return buf

    def close(self) -> None:
        self._size = None


class ColorBackground:
    name = "color"

    def __init__(self, color: str | tuple[int, int, int]) -> None:
        r, g, b = parse_color(color) if isinstance(color, str) else color
        self.bgr = (b, g, r)
        self._out: np.ndarray | None = None

    def render(self, frame_bgr: np.ndarray, alpha: np.ndarray | None = None) -> np.ndarray:
        h, w = frame_bgr.shape[:2]
        if self._out is None or self._out.shape[:2] != (h, w):
            self._out = np.empty((h, w, 3), np.uint8)
            self._out[:] = self.bgr
        return self._out

    def close(self) -> None:
        self._out = None


def read_picture(path: Path) -> np.ndarray:
    """A picture file as BGR uint8 (EXIF orientation applied by OpenCV), or BackgroundError."""
    if not path.is_file():
        raise BackgroundError(f"background picture not found: {path}", hint="check the path, or pick another picture")
    # imdecode on bytes, not imread: imread cannot open non-ASCII paths on Windows.
    data = np.fromfile(str(path), dtype=np.uint8)
    img = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if img is None:
        raise BackgroundError(f"cannot read background picture {path}",
                              hint="use a JPEG, PNG, WebP or BMP file that opens in an image viewer")
    return img


class ImageBackground:
    """A picture, cover-fitted to the frame (scaled to fill, overflow cropped), cached per frame size."""

    name = "image"

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._image = read_picture(self.path)
        self._out: np.ndarray | None = None

    def render(self, frame_bgr: np.ndarray, alpha: np.ndarray | None = None) -> np.ndarray:
        h, w = frame_bgr.shape[:2]
        if self._out is None or self._out.shape[:2] != (h, w):
            self._out = cover_fit(self._image, (w, h))
        return self._out

    def close(self) -> None:
        self._out = None


class VideoBackground:
    """A looping video, shown at its own frame rate by the wall clock, whatever the output's frame rate.

    Decoding happens on the caller's (output) thread, one frame at a time: a frame is decoded only when the clock says
    the video has moved on, so a 30 fps output over a 25 fps video decodes 25 frames a second.
    """

    name = "video"
    animated = True  # changes from one render to the next: the output must not reuse a composite when it re-emits
    # Further ahead than this many frames, seek instead of decoding the frames in between (after a stall).
    MAX_GRAB = 15

    def __init__(self, path: str | Path, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise BackgroundError(f"background video not found: {self.path}", hint="check the path")
        self._clock = clock
        self._cap = cv2.VideoCapture(str(self.path))
        ok, first = self._cap.read() if self._cap.isOpened() else (False, None)
        if not ok or first is None:
            self._cap.release()
            raise BackgroundError(f"cannot read background video {self.path}",
                                  hint="use a video OpenCV can decode (MP4/H.264, MKV, AVI/MJPG, WebM)")
        fps = self._cap.get(cv2.CAP_PROP_FPS)
        self.fps = fps if 1.0 <= fps <= 240.0 else 30.0
        count = int(self._cap.get(cv2.CAP_PROP_FRAME_COUNT))
        self.frame_count = count if count > 0 else 0  # 0: unknown, found by reading to the end
        self._frame = first  # the decoded frame with index self._index
        self._spare = np.empty_like(first)
        self._index = 0
        self._t0: float | None = None
        self._out: np.ndarray | None = None
        self._out_index = -1
        self.decoded = 1  # frames decoded so far (for tests and stats)

    def _read(self) -> bool:
        """Decode the next frame into the spare buffer and swap, so steady playback allocates nothing."""
        ok, frame = self._cap.read(self._spare)
        if ok:
            if frame is self._spare:
                self._spare = self._frame
            self._frame = frame
            self.decoded += 1
        return ok

    def _rewind(self) -> bool:
        self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
        ok = self._read()
        if ok:
            self._index = 0
        return ok

    def _advance_to(self, target: int) -> None:
        if target < self._index or target - self._index > self.MAX_GRAB:
            if target == 0:
                self._rewind()
                return
            self._cap.set(cv2.CAP_PROP_POS_FRAMES, target)
            self._index = target - 1
        while self._index < target - 1:
            if not self._cap.grab():
                break
            self._index += 1
        if self._read():
            self._index += 1
            return
        # End of stream (frame count unknown or wrong): loop from the start, restarting the clock.
        if self.frame_count == 0 or self._index + 1 < self.frame_count:
            self.frame_count = self._index + 1
        self._t0 = self._clock()
        if not self._rewind():
            log.warning("background video %s stopped decoding; keeping its last frame", self.path)

    def render(self, frame_bgr: np.ndarray, alpha: np.ndarray | None = None) -> np.ndarray:
        now = self._clock()
        if self._t0 is None:
            self._t0 = now
        target = int((now - self._t0) * self.fps + 1e-6)  # 0.1 s * 10 fps is 0.9999...: still frame 1
        if self.frame_count:
            target %= self.frame_count
        if target != self._index:
            self._advance_to(target)
        h, w = frame_bgr.shape[:2]
        if self._out is None or self._out.shape[:2] != (h, w):
            self._out = np.empty((h, w, 3), np.uint8)
            self._out_index = -1
        if self._out_index != self._index:
            cover_fit(self._frame, (w, h), dst=self._out)
            self._out_index = self._index
        return self._out

    def close(self) -> None:
        self._cap.release()


class TransparentBackground:
    """No background: the compositor outputs BGRA with the mask as alpha."""

    name = "none"

    def render(self, frame_bgr: np.ndarray, alpha: np.ndarray | None = None) -> None:
        return None

    def close(self) -> None:
        pass


def _needs_path(settings: BackgroundSettings) -> str:
    if not settings.path:
        raise BackgroundError(f"background kind {settings.kind!r} needs a path", hint="choose a file for the background")
    return settings.path


# The registry of background kinds: BackgroundKind -> builder(settings). A new kind is a member and a line here.
_BUILDERS: dict[BackgroundKind, Callable[[BackgroundSettings], Background]] = {
    BackgroundKind.BLUR: lambda s: BlurBackground(s.blur_strength),
    BackgroundKind.COLOR: lambda s: ColorBackground(s.color),
    BackgroundKind.IMAGE: lambda s: ImageBackground(_needs_path(s)),
    BackgroundKind.VIDEO: lambda s: VideoBackground(_needs_path(s)),
    BackgroundKind.NONE: lambda s: TransparentBackground(),
}


def make_background(settings: BackgroundSettings) -> Background:
    settings.validate()
    return _BUILDERS[BackgroundKind(settings.kind)](settings)
