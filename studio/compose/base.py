"""The Background protocol: what goes behind the subject. Implementations live in studio.compose.backgrounds."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from studio.core.errors import StudioError


@runtime_checkable
class Background(Protocol):
    """``render`` returns an HxWx3 BGR uint8 picture for a frame of ``frame.shape`` (it may depend on the frame, as
    blur does, or on time, as a looping video does), or None for a transparent background (output becomes BGRA).
    The returned array may be a reused buffer, valid until the next call.

    ``alpha`` is the subject's refined alpha for this frame (float32 in [0, 1], at the frame's size or smaller: the
    live refiner caps its size), or None where there is none yet. A background made from the frame uses it to leave
    the subject out (the halo-free blur); the others ignore it."""

    name: str

    def render(self, frame_bgr: np.ndarray, alpha: np.ndarray | None = None) -> np.ndarray | None: ...

    def close(self) -> None: ...


@runtime_checkable
class SmallBackground(Protocol):
    """A Background that can also give its picture smaller than the frame, of the frame's aspect (a blur is made
    small anyway): the Compositor scales it up into its output in the same pass as it writes it."""

    def render_small(self, frame_bgr: np.ndarray, alpha: np.ndarray | None = None) -> np.ndarray: ...


def renders_small(background: Background) -> bool:
    """Whether ``background`` is a SmallBackground. Asked every frame: a look-up, where isinstance against a runtime
    Protocol costs 12-25 us."""
    return callable(getattr(background, "render_small", None))


def render_for_compositor(background: Background, frame_bgr: np.ndarray,
                          alpha: np.ndarray | None = None) -> np.ndarray | None:
    """The background for Compositor.composite: the small picture where the background has one, else ``render``."""
    if renders_small(background):
        return background.render_small(frame_bgr, alpha)
    return background.render(frame_bgr, alpha)


class BackgroundError(StudioError):
    """A background picture or video could not be read, or a colour could not be parsed."""
