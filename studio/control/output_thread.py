"""OutputThread: for every captured frame, refine the newest mask, composite the background and write to every sink.

It never waits for inference: the motion gate offers some frames to the inference supervisor (latest wins, no
blocking) and each frame is composited with whatever mask is newest. When the source is lost or stalls, the last
frame is re-emitted at the source's frame rate, so a virtual camera never freezes or drops out of a call.

Everything the output uses (gate, refiner, background, compositor, sinks) lives on this thread; other threads change
them only through ``post(fn)``: the function runs here at the next frame boundary.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
from typing import Callable

import numpy as np

from studio.compose.base import Background
from studio.compose.blend import Compositor
from studio.compose.refine import MaskRefiner
from studio.control.events import EventHub
from studio.control.gate import MotionGate
from studio.control.thermal import ThermalGovernor, ThermalState
from studio.core.errors import StudioError
from studio.core.frame import END_TO_END, STAGES, Frame, Mask
from studio.core.mailbox import LatestSlot
from studio.core.stats import LatencyWindow, RateMeter, StageWindow
from studio.core.worker import Worker
from studio.inference.worker import InferenceJob
from studio.output.base import OutputFrame, Sink

log = logging.getLogger(__name__)

# Share of the configured temporal smoothing used per motion tier: full on a still subject (steady edges, no flicker),
# none when it moves fast (an average of past masks trails a halo behind the subject).
SMOOTHING_BY_TIER = {"static": 1.0, "moderate": 0.5, "fast": 0.0}

STALL_MIN_S = 0.25  # no frame for this long (and at least 3 frame periods): re-emit the last one
MAX_FRAME_ERRORS = 30  # consecutive failing frames before the output gives up (a bug, not a hiccup)


def _lap(timings: dict[str, float], stage: str, since: float) -> float:
    """Record ``stage`` as the time from ``since`` to now; return now (where the next stage begins)."""
    now = time.perf_counter()
    timings[stage] = now - since
    return now


class OutputThread(Worker):
    def __init__(self, frames: LatestSlot[Frame], masks: LatestSlot[Mask], submit: Callable[[InferenceJob], None], *,
                 gate: MotionGate, thermal: ThermalGovernor, apply_thermal: Callable[[ThermalState], None],
                 refiner: MaskRefiner, background: Background, mirror: bool, sinks: list[Sink],
                 source_fps: Callable[[], float], source_lost: Callable[[], bool], events: EventHub) -> None:
        super().__init__("output")
        self._frames = frames
        self._masks = masks
        self._submit = submit
        self.gate = gate
        self.thermal = thermal
        self._apply_thermal = apply_thermal
        self.refiner = refiner
        self.background = background
        self.mirror = mirror
        self.compositor = Compositor()
        self.sinks: list[Sink] = list(sinks)
        self._source_fps = source_fps
        self._source_lost = source_lost
        self._events = events
        self._commands: collections.deque[Callable[[], None]] = collections.deque()
        self._commands_lock = threading.Lock()
        # per-resolution buffers and per-sink state
        self._size: tuple[int, int] | None = None
        self._no_mask: np.ndarray | None = None
        self._opened: dict[int, tuple[int, int]] = {}  # id(sink) -> size it was opened at
        self._last_frame: Frame | None = None
        self._last_mask: Mask | None = None
        self._last_real = 0.0
        self._last_emit = 0.0
        self._errors_in_row = 0
        self._last_error_event = 0.0
        # stats (read from other threads: plain numbers and thread-safe windows)
        self.output_rate = RateMeter(2.0)
        self.latency = LatencyWindow(3600)
        self.stages = StageWindow(STAGES, 3600)  # the same frames as ``latency``, stage by stage
        self.mask_latency = LatencyWindow(600)
        self.mask_compute = LatencyWindow(600)
        self._scratch_timings: dict[str, float] = {}
        self.frames_out = 0
        self.frames_repeated = 0
        self.gate_skips = 0
        self.submitted = 0
        self.level = 0.0
        self.tier = "fast"
        self.vcam_status = "off"

    @property
    def frame_size(self) -> tuple[int, int] | None:
        return self._size

    def reset_stats(self) -> None:
        # New windows, swapped in by assignment: the output thread adds to whichever it sees, never a torn one.
        self.latency = LatencyWindow(3600)
        self.stages = StageWindow(STAGES, 3600)
        self.mask_latency = LatencyWindow(600)
        self.mask_compute = LatencyWindow(600)

    # -- commands from other threads ---------------------------------------------------------------------------
    def post(self, fn: Callable[[], None]) -> None:
        """Run ``fn`` on the output thread at the next frame boundary."""
        with self._commands_lock:
            self._commands.append(fn)

    def _run_commands(self) -> None:
        while True:
            with self._commands_lock:
                if not self._commands:
                    return
                fn = self._commands.popleft()
            try:
                fn()
            except StudioError as exc:
                self._events.emit("error", exc.message, exc.hint)
            except Exception as exc:  # noqa: BLE001 - a failed settings change is reported, the video goes on
                log.exception("output command failed")
                self._events.emit("error", f"could not apply a change: {exc}")

    # -- sinks -------------------------------------------------------------------------------------------------
    def add_sink(self, sink: Sink) -> None:
        if sink not in self.sinks:
            self.sinks.append(sink)
            self._update_vcam_status()

    def remove_sink(self, sink: Sink) -> None:
        if sink in self.sinks:
            self.sinks.remove(sink)
            self._close_sink(sink)
            self._update_vcam_status()

    def replace_sinks(self, old: list[Sink], new: list[Sink]) -> None:
        for sink in old:
            self.remove_sink(sink)
        for sink in new:
            self.add_sink(sink)

    def _close_sink(self, sink: Sink) -> None:
        if self._opened.pop(id(sink), None) is None:
            return
        try:
            sink.close()
        except Exception:  # noqa: BLE001 - closing is best effort; the error is logged
            log.exception("closing sink %s failed", getattr(sink, "name", sink))

    def _fail_sink(self, sink: Sink, exc: Exception) -> None:
        """A sink that cannot open or write is taken out (and said so); the others keep going."""
        name = getattr(sink, "name", type(sink).__name__)
        if isinstance(exc, StudioError):
            message, hint = exc.message, exc.hint
            log.warning("sink %s taken out: %s", name, message)
        else:
            log.error("sink %s failed", name, exc_info=exc)
            message, hint = f"output {name} failed: {exc}", ""
        if name == "virtual-camera":
            self.vcam_status = f"error: {message}"
        if sink in self.sinks:
            self.sinks.remove(sink)
        self._close_sink(sink)
        self._opened.pop(id(sink), None)
        self._events.emit("error", message, hint)

    def _update_vcam_status(self) -> None:
        vcams = [s for s in self.sinks if getattr(s, "name", "") == "virtual-camera"]
        if not vcams:
            if not self.vcam_status.startswith("error"):
                self.vcam_status = "off"
            return
        device = getattr(vcams[0], "opened_device", None)
        self.vcam_status = f"on {device}" if id(vcams[0]) in self._opened else "starting"

    def _ensure_open(self, w: int, h: int) -> None:
        fps = self._fps()
        for sink in list(self.sinks):
            size = self._opened.get(id(sink))
            if size == (w, h):
                continue
            if size is not None:
                self._close_sink(sink)
            try:
                sink.open(w, h, fps)
            except Exception as exc:  # noqa: BLE001 - reported as an event; see _fail_sink
                self._fail_sink(sink, exc)
                continue
            self._opened[id(sink)] = (w, h)
            if getattr(sink, "name", "") == "virtual-camera":
                self._update_vcam_status()

    # -- the frame loop ----------------------------------------------------------------------------------------
    def _fps(self) -> float:
        try:
            fps = float(self._source_fps())
        except Exception:  # noqa: BLE001 - a source that cannot say: assume a webcam's rate
            fps = 0.0
        return fps if 1.0 <= fps <= 240.0 else 30.0

    def _run_once(self) -> bool:
        self._run_commands()
        period = 1.0 / self._fps()
        now = time.perf_counter()
        stalled = self._last_frame is not None and (
            self._source_lost() or now - self._last_real > max(STALL_MIN_S, 3.0 * period))
        # While stalled, wake at the next re-emit time; otherwise wait for the camera (a frame period at most, so
        # commands and stop requests are served promptly).
        timeout = max(0.0, self._last_emit + period - now) if stalled else period
        frame = self._frames.get(timeout=timeout)
        if frame is not None:
            self._last_real = time.perf_counter()
            self._emit(frame, repeated=False)
        elif stalled and not self.stopping:
            self._emit(self._last_frame, repeated=True)
        return True

    def _wake(self) -> None:
        self._frames.close()

    def _emit(self, frame: Frame, *, repeated: bool) -> None:
        self._run_commands()  # settings change at the frame boundary, before this frame uses them
        try:
            self._process(frame, repeated)
            self._errors_in_row = 0
        except Exception as exc:
            self._errors_in_row += 1
            if self._errors_in_row >= MAX_FRAME_ERRORS:
                raise
            now = time.monotonic()
            if now - self._last_error_event > 5.0:
                self._last_error_event = now
                log.exception("output frame failed")
                self._events.emit("error", f"a frame could not be composited: {exc}")

    def _process(self, frame: Frame, repeated: bool) -> None:
        # Stage timings are laps of one clock (see studio.core.frame.STAGES): each stage ends where the next begins,
        # so a frame's stages add up to its end-to-end latency. A repeated frame keeps the timings of its first pass.
        timings = self._scratch_timings if repeated else frame.timings
        image = frame.image
        h, w = image.shape[:2]
        if self._size != (w, h):
            self._size = (w, h)
            # Before the first mask the picture shows only the background: nothing of the room leaks out.
            self._no_mask = np.zeros((h, w), np.float32)
        self._ensure_open(w, h)

        lap = time.perf_counter()
        timings["capture"] = lap - frame.t_capture
        if not repeated:
            self._apply_thermal(self.thermal.update())
            decision = self.gate.update(image, frame.t_capture)
            self.level, self.tier = decision.level, decision.tier
            if decision.run_inference:
                self._submit(InferenceJob(frame, decision.tier))
                self.submitted += 1
            else:
                self.gate_skips += 1
        lap = _lap(timings, "gate", lap)

        mask = self._masks.peek()
        lap = _lap(timings, "wait_mask", lap)
        if mask is None:
            alpha = self._no_mask
            timings["refine"] = 0.0
        else:
            new = mask is not self._last_mask
            alpha = self.refiner.refine(mask.alpha, image, new_mask=new,
                                        smoothing_scale=SMOOTHING_BY_TIER.get(self.tier, 1.0))
            t_refine = lap
            lap = _lap(timings, "refine", lap)
            if new:
                self._last_mask = mask
                self.mask_latency.add(lap - mask.t_capture)
                # The work alone (pre + infer + post + refine to frame size), comparable with MediaPipe's pipeline.
                self.mask_compute.add(mask.infer_seconds + (lap - t_refine))
        background = self.background.render(image)
        lap = _lap(timings, "background", lap)
        out = self.compositor.composite(image, alpha, background, mirror=self.mirror)
        lap = _lap(timings, "composite", lap)
        packet = OutputFrame(out, image, alpha, frame.index, frame.t_capture, -1 if mask is None else mask.frame_index,
                             timings)
        for sink in list(self.sinks):
            try:
                sink.write(packet)
            except Exception as exc:  # noqa: BLE001 - see _fail_sink
                self._fail_sink(sink, exc)
        done = _lap(timings, "sinks", lap)
        self._last_frame = frame
        self._last_emit = done
        self.frames_out += 1
        self.output_rate.tick(done)
        if repeated:
            self.frames_repeated += 1
        else:
            timings[END_TO_END] = done - frame.t_capture
            self.latency.add(timings[END_TO_END])
            self.stages.add(timings)

    def _teardown(self) -> None:
        self._run_commands()
        for sink in list(self.sinks):
            self._close_sink(sink)
        try:
            self.background.close()
        except Exception:  # noqa: BLE001
            log.exception("closing the background failed")
