"""Blending the subject over a background: the per-frame Compositor (buffers reused per size) and one-shot helpers
for still images.

The live compositor writes the background into its output buffer (scaling up a smaller one, such as the blur's small
picture, in the same pass) and blends the frame over it by tiles (studio.compose.tiles): the frame is copied where the
alpha is surely 1, the background stays where it is surely 0, and only the tiles on the edge are blended, with the
alpha made there at full size from the refiner's coefficients or its smaller alpha; no full-size float alpha exists.
A frame no tile size fits, or an edge over a large share of the frame, is blended whole with cv2.blendLinear.
"""

from __future__ import annotations

import cv2
import numpy as np

from studio.compose.fit import cover_fit
from studio.compose.tiles import TileBlend, tile_runs


def _as_float_alpha(alpha: np.ndarray) -> np.ndarray:
    if alpha.dtype == np.uint8:
        return alpha.astype(np.float32) * np.float32(1.0 / 255.0)
    return np.clip(alpha, 0.0, 1.0).astype(np.float32, copy=False)


class Compositor:
    """One per output stream. ``composite`` returns a buffer that the next call overwrites."""

    def __init__(self) -> None:
        self._size: tuple[int, int] | None = None
        self._tiles = TileBlend()
        self.edge_tiles = 0  # tiles the last composite blended (-1: the whole frame; 0 with no background)
        self._kept = _KeptBackground()

    def _allocate(self, w: int, h: int) -> None:
        # A full-size float alpha is made only where no tile fits (TileBlend.full_buffers: 66 MB at 4K, on first use)
        self._size = (w, h)
        self._bgr = np.empty((h, w, 3), np.uint8)
        self._bgra = np.empty((h, w, 4), np.uint8)
        self._alpha8 = np.empty((h, w), np.uint8)
        self._mirror3 = np.empty((h, w, 3), np.uint8)
        self._mirror4 = np.empty((h, w, 4), np.uint8)
        self._kept.forget()  # the output buffer is new

    def composite(self, frame_bgr: np.ndarray, alpha: np.ndarray, background: np.ndarray | None, *,
                  mirror: bool = False, coefficients: tuple[np.ndarray, np.ndarray] | None = None,
                  field_key=None, background_key=None) -> np.ndarray:
        """BGR uint8 (frame over ``background``), or BGRA uint8 with the alpha as the alpha channel when
        ``background`` is None. ``alpha`` is HxW float32 in [0, 1], at the frame's size or smaller (the refiner's
        detail cap): it is scaled up bilinearly as it is used. ``coefficients``: the refiner's (MaskRefiner.
        coefficients) that made such an alpha: the alpha is then clip(a * grey + b) at full size, the edge detail a
        smaller alpha lacks. ``background`` may be smaller than the frame, of its aspect (the blur's small picture):
        it is scaled up bilinearly into the output. ``field_key``: equal for an equal alpha and coefficients (the
        refiner's generation): the tiles' plan for them is kept (TileBlend.plan). ``background_key``: equal for an
        equal ``background`` (the number of its render): a smaller background kept over frames is scaled up once
        (_KeptBackground)."""
        h, w = frame_bgr.shape[:2]
        if self._size != (w, h):
            self._allocate(w, h)
        alpha = alpha.astype(np.float32, copy=False)
        if background is None:
            self._kept.forget()
            full = self._tiles.full_alpha(frame_bgr, alpha=alpha, coefficients=coefficients)
            out, mirrored = cv2.cvtColor(frame_bgr, cv2.COLOR_BGR2BGRA, dst=self._bgra), self._mirror4
            cv2.convertScaleAbs(full, dst=self._alpha8, alpha=255.0)  # rounds and saturates
            np.copyto(out[:, :, 3], self._alpha8)
            self.edge_tiles = 0
        else:
            out, mirrored = self._bgr, self._mirror3
            field = coefficients[0] if coefficients is not None else alpha
            if TileBlend.fits(frame_bgr.shape, field.shape):
                plan = self._tiles.plan(frame_bgr, alpha=alpha, coefficients=coefficients, field_key=field_key)
                if not self._kept.put(background, background_key, plan, self._tiles.tile, out):
                    self._put_background(background, out)
                self.edge_tiles = self._tiles.apply(plan, frame_bgr, out, alpha=alpha, coefficients=coefficients)
            else:
                self._kept.forget()
                self._put_background(background, out)
                self._tiles.blend_whole(frame_bgr, out, alpha=alpha, coefficients=coefficients)
                self.edge_tiles = -1
        if mirror:
            return cv2.flip(out, 1, dst=mirrored)
        return out

    def plan_ahead(self, frame_bgr: np.ndarray, alpha: np.ndarray,
                   coefficients: tuple[np.ndarray, np.ndarray] | None, field_key) -> None:
        """Plan the tiles for a field before the frame it cuts arrives (the work after a frame, split frames): the
        next ``composite`` with this ``field_key`` finds the plan made."""
        field = coefficients[0] if coefficients is not None else alpha
        if field_key is not None and TileBlend.fits(frame_bgr.shape, field.shape):
            self._tiles.plan(frame_bgr, alpha=alpha.astype(np.float32, copy=False), coefficients=coefficients,
                             field_key=field_key)

    def background_ahead(self, background: np.ndarray | None, frame_shape: tuple[int, ...], background_key) -> None:
        """Scale a smaller background up before the frame it goes behind arrives (see ``plan_ahead``)."""
        if background is not None and background_key is not None:
            self._kept.prepare(background, background_key, frame_shape)

    @staticmethod
    def _put_background(background: np.ndarray, out: np.ndarray) -> None:
        (bh, bw), (h, w) = background.shape[:2], out.shape[:2]
        if (bw, bh) == (w, h):
            np.copyto(out, background)
        elif bw <= w and bh <= h:
            cv2.resize(background, (w, h), dst=out, interpolation=cv2.INTER_LINEAR)
        else:
            raise ValueError(f"background is {bw}x{bh}, frame is {w}x{h}")


class _KeptBackground:
    """A smaller background (the blur's) that stays the same over frames (split frames blur every other one; a
    still scene's is reused) is scaled up once, into a kept full-size copy. The output buffer keeps the background
    on the tiles the last frame neither copied nor blended; the next frame with the same background puts it back
    from the copy on the other tiles only (the ones this frame does not cover), instead of scaling all of it up
    again (3840x2160: about 1 ms instead of 7-8). The copy is made when a background has been used for two
    frames or more, so a source whose background changes every frame (30 fps, every frame blurred) pays nothing;
    or ahead of the frame (``prepare``: split frames, once the frame that rendered it is out).

    It relies on nothing else writing into the Compositor's output buffer between frames (sinks only read it)."""

    def __init__(self) -> None:
        self._full: np.ndarray | None = None  # the background at full size ...
        self._full_key = None  # ... for this key (None: nothing made)
        self._out_key = None  # the background the output holds outside ``_covered`` (None: unknown)
        self._covered: np.ndarray | None = None  # the last plan's solid | edge tiles
        self._last_key = None  # the last frame's background, kept or not ...
        self._run = 0  # ... for how many frames in a row
        self._previous_run = 0  # how many frames the one before it was used

    def forget(self) -> None:
        """The output buffer was written some other way (whole-frame blend, transparent output, a resize)."""
        self._out_key = self._covered = self._last_key = None
        self._run = self._previous_run = 0

    def prepare(self, background: np.ndarray, key, frame_shape: tuple[int, ...]) -> None:
        """Make the full-size copy of ``background`` now, for the frames it will go behind."""
        h, w = frame_shape[:2]
        if background.shape[:2] == (h, w) or key == self._full_key:
            return
        self._scale(background, key, (h, w, background.shape[2]))

    def _scale(self, background: np.ndarray, key, shape: tuple[int, ...]) -> None:
        if self._full is None or self._full.shape != shape:
            self._full = np.empty(shape, np.uint8)
        cv2.resize(background, shape[1::-1], dst=self._full, interpolation=cv2.INTER_LINEAR)
        self._full_key = key

    def put(self, background: np.ndarray, key, plan, t: int, out: np.ndarray) -> bool:
        """Put ``background`` into ``out`` where the planned frame needs it (all but the plan's solid tiles);
        False when it is not kept (no key, no plan, one at full size already, or backgrounds that last one frame:
        the caller writes it in)."""
        h, w = out.shape[:2]
        if key is None or plan is None or background.shape[:2] == (h, w):
            self.forget()
            return False
        if key == self._last_key:
            self._run += 1
        else:
            self._last_key, self._previous_run, self._run = key, self._run, 1
        made = key == self._full_key and self._full.shape == out.shape
        if made and key == self._out_key and self._covered is not None:
            need = self._covered & ~plan.solid
        elif made or self._run >= 2 or self._previous_run >= 2:
            if not made:
                self._scale(background, key, out.shape)
            need = ~plan.solid
        else:
            self._out_key = self._covered = None
            return False
        for y0, x0, x1 in tile_runs(need, t):
            out[y0:y0 + t, x0:x1] = self._full[y0:y0 + t, x0:x1]
        self._out_key, self._covered = key, plan.solid | plan.edge
        return True


def to_rgba(image_bgr: np.ndarray, alpha: np.ndarray, *, clear_hidden: bool = True) -> np.ndarray:
    """A new RGBA uint8 cutout (straight, not premultiplied, alpha). See to_bgra for ``clear_hidden``."""
    return _with_alpha(image_bgr, alpha, cv2.COLOR_BGR2RGBA, clear_hidden)


def to_bgra(image_bgr: np.ndarray, alpha: np.ndarray, *, clear_hidden: bool = True) -> np.ndarray:
    """Like to_rgba, in OpenCV's channel order (for cv2.imencode).

    ``clear_hidden`` zeroes the colour of fully transparent pixels, as rembg does: a cutout must not carry the room
    it was cut from in pixels nobody sees (an editor can reveal them), and the file is smaller and faster to encode
    (`studio bench encode`)."""
    return _with_alpha(image_bgr, alpha, cv2.COLOR_BGR2BGRA, clear_hidden)


def clear_hidden_colour(four_channel: np.ndarray) -> np.ndarray:
    """Zero the colour of the pixels whose alpha (channel 3) is 0, in place; returns the array."""
    hidden = four_channel[:, :, 3] == 0
    four_channel[hidden] = 0
    return four_channel


def _with_alpha(image_bgr: np.ndarray, alpha: np.ndarray, code: int, clear_hidden: bool) -> np.ndarray:
    a = _as_float_alpha(alpha)
    out = cv2.cvtColor(image_bgr, code)
    out[:, :, 3] = cv2.convertScaleAbs(a, alpha=255.0)
    return clear_hidden_colour(out) if clear_hidden else out


def over_image(image_bgr: np.ndarray, alpha: np.ndarray, background_bgr: np.ndarray) -> np.ndarray:
    """A new BGR picture: the subject over ``background_bgr`` (cover-fitted to the image's size)."""
    h, w = image_bgr.shape[:2]
    bg = background_bgr if background_bgr.shape[:2] == (h, w) else cover_fit(background_bgr, (w, h))
    a = _as_float_alpha(alpha)
    return cv2.blendLinear(image_bgr, bg, a, 1.0 - a)


def over_color(image_bgr: np.ndarray, alpha: np.ndarray, rgb: tuple[int, int, int]) -> np.ndarray:
    """A new BGR picture: the subject over a solid colour given as (r, g, b)."""
    bg = np.empty_like(image_bgr)
    bg[:] = (rgb[2], rgb[1], rgb[0])
    return over_image(image_bgr, alpha, bg)
