"""The Sink protocol: where composited frames go (virtual camera, recorder, snapshot, GUI preview, nothing)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np


@dataclass(slots=True)
class OutputFrame:
    """One composited frame. ``image`` is HxWx3 BGR uint8, or HxWx4 BGRA when the background is transparent.

    ``image`` may be a buffer the compositor reuses for the next frame: a sink that keeps it beyond ``write`` must
    copy it. ``original`` is the captured frame (read-only), ``alpha`` the refined float32 mask, at frame
    size or, for frames over the live refiner's detail cap, at 1/k of it (scale it up before using it per pixel).
    """

    image: np.ndarray
    original: np.ndarray
    alpha: np.ndarray
    frame_index: int
    t_capture: float
    mask_frame_index: int  # -1 before the first mask exists
    # The frame's stage timings so far (studio.core.frame.STAGES); the output thread adds "sinks" and the end-to-end
    # latency to this same dict once every sink has written, so a sink that keeps it sees the whole breakdown later.
    timings: dict[str, float] = field(default_factory=dict)
    # The output clock's time for this frame (perf_counter): when a new frame was taken for output, or the deadline
    # a re-emitted one was scheduled for. Re-emits follow the source's measured rate on these times.
    t_out: float = 0.0


@runtime_checkable
class Sink(Protocol):
    """Opened, written and closed on the output thread. ``write`` must not block for long: output pacing is the
    virtual camera's clock, and a slow sink delays every other one."""

    name: str

    def open(self, width: int, height: int, fps: float) -> None: ...

    def write(self, frame: OutputFrame) -> None: ...

    def close(self) -> None: ...
