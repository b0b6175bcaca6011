"""The Background protocol: what goes behind the subject. Implementations live in studio.compose.backgrounds."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

from studio.core.errors import StudioError


@runtime_checkable
class Background(Protocol):
    """``render`` returns an HxWx3 BGR uint8 picture for a frame of ``frame.shape`` (it may depend on the frame, as
    blur does, or on time, as a looping video does), or None for a transparent background (output becomes BGRA).
    The returned array may be a reused buffer, valid until the next call."""

    name: str

    def render(self, frame_bgr: np.ndarray) -> np.ndarray | None: ...

    def close(self) -> None: ...


class BackgroundError(StudioError):
    """A background picture or video could not be read, or a colour could not be parsed."""
