"""Typed changes for the output thread, applied at frame boundaries (``OutputThread.send``).

Other threads never touch what the output thread uses (gate, refiner, background, compositor, sinks, clock); they send
one of these, and the output thread applies it between two frames, in the order sent. A batch sent in one call is
applied at one boundary, so a settings change never shows half-done on a frame. Plain data: building what is
expensive or can fail (a background picture, a sink) happens on the sender's thread, before sending.
"""

from __future__ import annotations

from dataclasses import dataclass

from studio.compose.base import Background
from studio.config.settings import GateSettings, LiveSettings, RefineSettings, ThermalSettings
from studio.output.base import Sink


@dataclass(frozen=True, slots=True)
class SetBackground:
    """Use ``background`` from the next frame on; the previous one is closed on the output thread."""

    background: Background


@dataclass(frozen=True, slots=True)
class SetMirror:
    on: bool


@dataclass(frozen=True, slots=True)
class SetRefine:
    settings: RefineSettings


@dataclass(frozen=True, slots=True)
class SetGate:
    settings: GateSettings


@dataclass(frozen=True, slots=True)
class SetThermal:
    settings: ThermalSettings


@dataclass(frozen=True, slots=True)
class SetLive:
    """Mask alignment (``live.align_mask``, ``live.latency_budget_ms``) from the next frame on."""

    settings: LiveSettings


@dataclass(frozen=True, slots=True)
class AddSink:
    sink: Sink


@dataclass(frozen=True, slots=True)
class RemoveSink:
    """Take ``sink`` out and close it (on the output thread, where it was opened)."""

    sink: Sink


@dataclass(frozen=True, slots=True)
class SourceChanged:
    """A new source from the next frame on: the gate, the refiner's history and the measured frame rate start
    afresh (the old scene's motion and masks say nothing about the new one)."""


Command = SetBackground | SetMirror | SetRefine | SetGate | SetThermal | SetLive | AddSink | RemoveSink | SourceChanged
