"""The two things that travel between threads: a captured frame and a mask computed from one."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# The stages a frame goes through on its way out, in order. They are laps of one clock: each runs from the end of the
# previous one ("capture" from the capture timestamp until the output thread starts on the frame: the hand-off through
# the latest-frame slot), so on every frame they add up to its end-to-end latency, stored under END_TO_END.
STAGES = ("capture", "gate", "wait_mask", "refine", "background", "composite", "sinks")
END_TO_END = "end_to_end"
# Work a frame's output did once it was out, for the next frame (studio.control.compose_inputs): not in its latency.
AFTER = "after"


@dataclass(slots=True)
class Frame:
    """A captured picture and its history.

    ``image`` is HxWx3 uint8 in BGR order (OpenCV's), C-contiguous; it travels by reference and is never written to
    after capture, so any stage may read it without a copy. ``t_capture`` is ``time.perf_counter()`` when the frame
    was taken; ``timings`` maps a stage name (STAGES) to the seconds it spent on this frame, so latency is measured
    per frame; the output thread fills it, and END_TO_END once the frame has been written to every sink.
    """

    image: np.ndarray
    index: int
    t_capture: float
    timings: dict[str, float] = field(default_factory=dict)
    source: str = ""

    @property
    def size(self) -> tuple[int, int]:
        """(width, height)."""
        return int(self.image.shape[1]), int(self.image.shape[0])


@dataclass(slots=True)
class Mask:
    """Foreground probability at the model's resolution, tagged with the frame it came from.

    ``alpha`` is HxW float32 in [0, 1]. Upsampling to frame size happens on the output thread (edge-aware, with the
    current frame as guide), so the mask can be reused for frames captured after it.
    """

    alpha: np.ndarray
    frame_index: int
    t_capture: float
    t_ready: float
    input_size: tuple[int, int]
    infer_seconds: float
    backend: str = ""
