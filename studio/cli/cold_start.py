"""How long `studio cam` takes to show something: marks from the process's start (imports included) to the pipeline
built, the model loaded, the first frame out and the first frame cut with a mask. `--stats-json` carries them as
"cold_start" (seconds since the process started), so a slow start has a name: imports, model load, first inference
or the source."""

from __future__ import annotations

import time

from studio.core.kinds import EventKind
from studio.output.simple import CallbackSink
from studio.telemetry.system import process_age_s


class ColdStart:
    """Marks on one clock: perf_counter, offset so that 0 is the process's start (or the mark ``started`` when the
    process's start is unknown). Each mark is kept the first time it is made; marks may come from any thread."""

    def __init__(self) -> None:
        now = time.perf_counter()
        age = process_age_s()
        self._origin = now - (age or 0.0)
        self.marks: dict[str, float] = {"started": round(now - self._origin, 3)}

    def mark(self, name: str) -> None:
        if name not in self.marks:
            self.marks[name] = round(time.perf_counter() - self._origin, 3)

    def on_event(self, event) -> None:
        if event.kind is EventKind.MODEL_LOADED:
            self.mark("model_loaded")

    def sink(self) -> CallbackSink:
        """A sink that marks the first frame out and the first one cut with a mask (then costs one comparison)."""
        def seen(frame) -> None:
            if "first_masked_frame" in self.marks:
                return
            self.mark("first_frame")
            if frame.mask_frame_index >= 0:
                # A mask proves the model loaded; its event may still be on its way from another thread
                self.mark("model_loaded")
                self.mark("first_masked_frame")

        sink = CallbackSink(seen, name="cold-start")
        sink.watching = False  # a measurement, not a viewer: it must not keep an idle pipeline awake
        return sink

    def to_dict(self) -> dict[str, float]:
        return dict(self.marks)
