"""OutputThread: for every captured frame, refine the newest mask, composite the background and write to every sink.

It never stalls on inference: the motion gate offers some frames to the inference supervisor (latest wins, no
blocking) and each frame is composited with whatever mask is newest, except that a frame just submitted may wait,
bounded by the latency budget, for its own mask (mask alignment: studio.control.align). When the source is lost or
stalls, the last frame is re-emitted on the output's frame clock (studio.control.clock: the source's measured rate,
absolute deadlines), so a virtual camera never slows down, freezes or drops out of a call.

Its collaborators come as a few objects: ``OutputStages`` (gate, thermal governor, refiner, background, compositor,
sinks, mirror, mask aligner), ``MaskFeed`` (the inference side: newest mask, submit, area cap, recent work time) and
``SourceInfo`` (what the source claims and whether capture has lost it). All of it lives on this thread; other
threads change it only by sending typed commands (studio.control.commands), applied here at the next frame boundary.
What it has done is published as ``stats`` (a frozen OutputStats, replaced after every frame) and ``windows``
(latency windows).
"""

from __future__ import annotations

import collections
import logging
import math
import threading
import time
from dataclasses import dataclass, field, replace
from typing import Callable

import numpy as np

from studio.compose.base import Background
from studio.compose.blend import Compositor
from studio.compose.refine import MaskRefiner
from studio.compose.warp import MaskWarper
from studio.control import commands as cmd
from studio.control.align import MaskAligner
from studio.control.clock import FrameClock
from studio.control.compose_inputs import ComposeInputs
from studio.control.events import EventHub
from studio.control.gate import FAST, MotionGate
from studio.control.idle import IdleControl
from studio.control.reuse import StillReuse
from studio.control.output_stats import OutputStats, OutputWindows
from studio.control.sink_set import SinkSet
from studio.control.thermal import ThermalGovernor
from studio.core.errors import StudioError
from studio.core.frame import END_TO_END, Frame, Mask
from studio.core.kinds import EventKind
from studio.core.mailbox import LatestSlot
from studio.core.stats import RateMeter
from studio.core.worker import Worker
from studio.inference.worker import InferenceJob
from studio.output.base import OutputFrame, Sink

log = logging.getLogger(__name__)

MAX_FRAME_ERRORS = 30  # consecutive failing frames before the output gives up (a bug, not a hiccup)


@dataclass
class OutputStages:
    """What the output thread works with, each frame, in this order: thermal -> gate -> refiner -> background ->
    compositor (which alone mirrors, for every sink) -> sinks."""

    gate: MotionGate
    thermal: ThermalGovernor
    refiner: MaskRefiner
    background: Background
    sinks: list[Sink] = field(default_factory=list)
    compositor: Compositor = field(default_factory=Compositor)
    mirror: bool = False
    align: MaskAligner = field(default_factory=MaskAligner)  # whether to wait for a submitted frame's own mask
    warp: MaskWarper = field(default_factory=MaskWarper)  # moves an older mask with the picture (live.warp_mask)
    idle: IdleControl | None = None  # None: never idles (benchmarks; outputs driven frame by frame)
    reuse: StillReuse = field(default_factory=StillReuse)  # a still scene (a fast source: alternate frames) reuses


@dataclass(frozen=True)
class MaskFeed:
    """The inference side as the output sees it: the newest mask, where gated frames go, and the area cap the
    thermal governor sets. The defaults suit a run without inference (masks put into ``masks`` by hand)."""

    masks: LatestSlot[Mask]
    submit: Callable[[InferenceJob], None] = lambda job: None
    set_max_area: Callable[[int | None], None] = lambda area: None
    work_s: Callable[[], float] = lambda: math.nan  # the model's recent work (pre + infer + post), a median


@dataclass(frozen=True)
class SourceInfo:
    """What the source claims (its fps: only a fallback until arrivals are measured) and whether capture has lost
    it (re-emits then start at once, without waiting for the stall threshold)."""

    fps: Callable[[], float] = lambda: 0.0
    lost: Callable[[], bool] = lambda: False


def _lap(timings: dict[str, float], stage: str, since: float) -> float:
    """Record ``stage`` as the time from ``since`` to now; return now (where the next stage begins)."""
    now = time.perf_counter()
    timings[stage] = now - since
    return now


class OutputThread(Worker):
    def __init__(self, frames: LatestSlot[Frame], feed: MaskFeed, stages: OutputStages, source: SourceInfo,
                 events: EventHub) -> None:
        super().__init__("output")
        self._frames = frames
        self._feed = feed
        self._stages = stages
        self._source = source
        self._events = events
        self._sinks = SinkSet(stages.sinks, events)
        self._clock = FrameClock(source.fps)
        self._pending: collections.deque[tuple[cmd.Command, ...]] = collections.deque()
        self._pending_lock = threading.Lock()
        self._thermal_applied: tuple[str, int | None] = ("fast", None)
        self._size: tuple[int, int] | None = None
        self._no_mask: np.ndarray | None = None
        self._last_frame: Frame | None = None
        self._inputs = ComposeInputs()  # the refined alpha and the background (reused, or made after a frame)
        self._last_packet: OutputFrame | None = None
        self._changed = False  # a command was applied since the last composite
        self._scratch_timings: dict[str, float] = {}  # a repeated frame's laps: its own timings stay as they were
        self._errors_in_row = 0
        self._last_error_event = 0.0
        self._counts = [0, 0, 0]  # frames out, repeated, gate skips
        self._level, self._tier = 0.0, FAST
        # published for other threads
        self.output_rate = RateMeter(2.0)
        self.windows = OutputWindows()
        self.stats = OutputStats(sinks=self._sinks.names, clock_fps=1.0 / self._clock.period)
        if stages.idle is not None:
            stages.idle.on_resume = self._resumed

    def reset_stats(self) -> None:
        """Start the latency windows afresh (a new object, swapped in by assignment)."""
        self.windows = OutputWindows()

    def _publish(self) -> None:
        out, repeated, skips = self._counts
        self.stats = OutputStats(out, repeated, skips, self._level, self._tier, self._size, self._sinks.vcam_status,
                                 self._sinks.names, self._clock.stalled, 1.0 / self._clock.period,
                                 self._stages.align.state, self._stages.idle is not None and self._stages.idle.idle)

    # -- commands from other threads ---------------------------------------------------------------------------
    def send(self, *commands: cmd.Command) -> None:
        """Apply ``commands`` on the output thread at the next frame boundary, together and in this order."""
        with self._pending_lock:
            self._pending.append(commands)

    def _run_commands(self) -> None:
        while True:
            with self._pending_lock:
                if not self._pending:
                    return
                batch = self._pending.popleft()
            for command in batch:
                try:
                    self._apply(command)
                except StudioError as exc:
                    self._events.emit(EventKind.ERROR, exc.message, exc.hint)
                except Exception as exc:  # noqa: BLE001 - a failed settings change is reported, the video goes on
                    log.exception("output command %s failed", type(command).__name__)
                    self._events.emit(EventKind.ERROR, f"could not apply a change: {exc}")
            self._changed = True
            self._stages.reuse.reset()
            self._publish()

    def _apply(self, command: cmd.Command) -> None:
        st = self._stages
        if isinstance(command, cmd.SetBackground):
            previous, st.background = st.background, command.background
            if previous is not command.background:
                previous.close()
        elif isinstance(command, cmd.SetMirror):
            st.mirror = command.on
        elif isinstance(command, cmd.SetRefine):
            st.refiner.update_settings(command.settings)
        elif isinstance(command, cmd.SetGate):
            st.gate.configure(command.settings)
        elif isinstance(command, cmd.SetThermal):
            st.thermal.configure(command.settings)
        elif isinstance(command, cmd.SetLive):
            st.align.configure(command.settings)
            st.warp.enabled = command.settings.warp_mask
            if st.idle is not None:
                st.idle.configure(command.settings)
        elif isinstance(command, cmd.AddSink):
            self._sinks.add(command.sink)
        elif isinstance(command, cmd.RemoveSink):
            self._sinks.remove(command.sink)
        elif isinstance(command, cmd.SourceChanged):
            st.gate.reset()
            st.refiner.reset()
            st.align.reset()
            st.warp.reset()
            self._clock.reset()
        else:
            raise TypeError(f"not an output command: {command!r}")

    # -- thermal -----------------------------------------------------------------------------------------------
    def _update_thermal(self) -> None:
        """The governor's state for this frame; acts (gate tier cap, model area cap, an event) only on a change."""
        state = self._stages.thermal.update()
        wanted = (state.tier_cap, state.max_area)
        if wanted == self._thermal_applied:
            return
        self._thermal_applied = wanted
        self._stages.gate.max_tier = state.tier_cap
        self._feed.set_max_area(state.max_area)
        if state.throttled:
            log.warning("thermal throttle at %s C", state.temp_c)
            self._events.emit(EventKind.WARNING,
                              f"the box is hot ({state.temp_c:.0f} C): fewer inferences until it cools",
                              f"threshold {state.threshold_c:.0f} C; improve cooling or choose a lighter model")
        else:
            self._events.emit(EventKind.INFO, "temperature back to normal: full inference rate restored")

    # -- the frame loop ----------------------------------------------------------------------------------------
    def _run_once(self) -> bool:
        self._run_commands()
        if self._stages.idle is not None and self._stages.idle.step(self._sinks, self._last_packet):
            self._publish()  # idle: nobody watches; the slate went out when due (studio.control.idle)
            return True
        now = time.perf_counter()
        lost = self._last_frame is not None and self._source.lost()
        frame = self._frames.get(timeout=self._clock.wait_s(now, lost))
        if frame is not None:
            self._clock.arrived(frame.index, frame.t_capture)
            self._emit(frame, repeated=False, t_out=time.perf_counter())
            return True
        now = time.perf_counter()
        due = self._clock.due(now, lost) if self._last_frame is not None else None
        if due is not None and now >= due and not self.stopping:
            self._clock.repeated(now)
            self._emit(self._last_frame, repeated=True, t_out=due)
        return True

    def _wake(self) -> None:
        self._frames.close()

    def _resumed(self) -> None:
        """Back from idle: frames from before it are stale, and the scene may have changed meanwhile."""
        self._frames.clear()
        self._stages.gate.reset()  # the first frame runs inference at once
        self._stages.align.reset()
        self._stages.warp.reset()  # a mask from before the pause is not moved along flow from a stale picture
        self._clock.reset()

    def _emit(self, frame: Frame, *, repeated: bool, t_out: float) -> None:
        self._run_commands()  # settings change at the frame boundary, before this frame uses them
        try:
            self.process(frame, repeated=repeated, t_out=t_out)
            self._errors_in_row = 0
        except Exception as exc:
            self._errors_in_row += 1
            if self._errors_in_row >= MAX_FRAME_ERRORS:
                raise
            now = time.monotonic()
            if now - self._last_error_event > 5.0:
                self._last_error_event = now
                log.exception("output frame failed")
                self._events.emit(EventKind.ERROR, f"a frame could not be composited: {exc}")

    def process(self, frame: Frame, *, repeated: bool = False, t_out: float | None = None) -> None:
        """Take ``frame`` through every stage to every sink. Called on the output thread; a benchmark may drive an
        output that was never started on its own thread, frame by frame (then call ``release`` at the end)."""
        # Stage timings are laps of one clock (see studio.core.frame.STAGES): each stage ends where the next begins,
        # so a frame's stages add up to its end-to-end latency. A repeated frame keeps the timings of its first pass.
        if repeated and self._can_reuse(frame):
            self._write_again(t_out)
            return
        timings = self._scratch_timings if repeated else frame.timings
        st = self._stages
        image = frame.image
        h, w = image.shape[:2]
        if self._size != (w, h):
            self._size = (w, h)
            # Before the first mask the picture shows only the background: nothing of the room leaks out.
            self._no_mask = np.zeros((h, w), np.float32)
            self._inputs.reset()  # nothing of another size is reused
            st.reuse.reset()
        self._sinks.ensure_open(w, h, self._clock.sink_fps())

        lap = time.perf_counter()
        timings["capture"] = lap - frame.t_capture
        submitted = False
        if not repeated:
            self._update_thermal()
            st.align.update(self._feed.work_s(), self._clock.period)
            decision = st.gate.update(image, frame.t_capture)
            st.warp.remember(frame.index, st.gate.small_grey)
            self._level, self._tier = decision.level, decision.tier
            if decision.run_inference:
                self._feed.submit(InferenceJob(frame, decision.tier))
                submitted = True
            else:
                self._counts[2] += 1
        lap = _lap(timings, "gate", lap)
        if submitted and st.align.state.on:  # the blur while the model makes this frame's mask: off its mask's age
            self._inputs.render_early(st, frame, self._tier, self._clock.period)
            lap = _lap(timings, "background", lap)

        mask = st.align.mask_for(self._feed.masks, frame, submitted)
        lap = t_masked = _lap(timings, "wait_mask", lap)
        made, lap = self._inputs.prepare(st, frame, mask, self._tier, self._clock.period, timings, lap)
        shown_compute = None if made.shown is None else made.shown[1]
        mask = made.mask  # the mask this frame is cut with (one refined after an earlier frame, while split)
        alpha = self._no_mask if made.alpha is None else made.alpha
        # the compositor makes the alpha at full size from the refiner's coefficients (None: it scales alpha up)
        out = st.compositor.composite(image, alpha, made.background, mirror=st.mirror, coefficients=made.coefficients,
                                      field_key=made.field_key, background_key=made.background_key)
        t_composite, lap = lap, _lap(timings, "composite", lap)
        st.reuse.observe("composite", lap - t_composite)
        packet = OutputFrame(out, image, alpha, frame.index, frame.t_capture, -1 if mask is None else mask.frame_index,
                             timings, lap if t_out is None else t_out)
        self._sinks.write(packet)
        done = _lap(timings, "sinks", lap)
        self._last_packet, self._changed = packet, False
        self._last_frame = frame
        self._counts[0] += 1
        self.output_rate.tick(done)
        if not repeated:
            timings[END_TO_END] = done - frame.t_capture
        # work left for after the frame was out (split frames), unless it would hold up the next one: due a period
        # after this one was taken (a frame driven by a benchmark or test, without t_out, has no such deadline)
        period = self._clock.period
        next_at = t_out + period if t_out is not None and period > 0 and not repeated else None
        self._inputs.finish(st, timings, next_frame_at=next_at, frame_waiting=self._frames.unread)
        if repeated:
            self._counts[1] += 1
        else:
            self.windows.add_frame(timings, None if mask is None else frame.index - mask.frame_index)
            if submitted:
                st.align.add_costs(timings["capture"] + timings["gate"],
                                   None if shown_compute is None else done - t_masked)
        if made.shown is not None:  # mask_ms: its frame's capture -> the first frame cut with it is out
            self.windows.add_mask(done - made.shown[0].t_capture, shown_compute)
        self._publish()

    def _can_reuse(self, frame: Frame) -> bool:
        """Whether a re-emit of ``frame`` would composite exactly what went out last: same frame, same mask, no
        settings change, a background that does not move. Then the last composite goes out again, so re-emits cost
        next to nothing and keep the clock even on a box where compositing takes most of a frame period."""
        last = self._last_packet
        return (last is not None and last.frame_index == frame.index and not self._changed
                and self._feed.masks.peek() is self._inputs.last_mask
                and not getattr(self._stages.background, "animated", False))

    def _write_again(self, t_out: float | None) -> None:
        packet = replace(self._last_packet, t_out=time.perf_counter() if t_out is None else t_out)
        self._sinks.write(packet)
        self._counts[0] += 1
        self._counts[1] += 1
        self.output_rate.tick()
        self._publish()

    def release(self) -> None:
        """Close the sinks and the background (what ``_teardown`` does when the thread ends)."""
        self._run_commands()
        if self._stages.idle is not None:
            self._stages.idle.close()
        self._sinks.close_all()
        try:
            self._stages.background.close()
        except Exception:  # noqa: BLE001
            log.exception("closing the background failed")

    def _teardown(self) -> None:
        self.release()
