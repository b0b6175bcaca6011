"""The Source protocol: anything that yields BGR frames (camera, video file, still image, synthetic scene)."""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class Source(Protocol):
    """Opened, read and closed on the capture thread.

    ``read`` blocks until the next frame is due (a file source paces itself at its own fps; a camera blocks in the
    driver) and returns an HxWx3 uint8 BGR array, or None at the end of a non-looping file. It raises
    ``studio.core.errors.SourceError`` when the device is gone; the CaptureThread retries with back-off.
    """

    name: str

    @property
    def fps(self) -> float: ...

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) once open."""

    @property
    def is_live(self) -> bool:
        """True for cameras and streams (frames arrive on their own clock), False for files/images/synthetic."""

    def open(self) -> None: ...

    def read(self) -> np.ndarray | None: ...

    def close(self) -> None: ...
