"""Build the sinks the output settings ask for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.output.base import Sink
from studio.output.vcam import VirtualCameraSink

if TYPE_CHECKING:
    from studio.config.settings import OutputSettings


def make_sinks(settings: "OutputSettings") -> list[Sink]:
    """The devices the output settings switch on: the virtual camera, when enabled. Nothing is opened here; the
    output thread opens each sink at the frame size.

    Recording and snapshots each have one door on the live pipeline (``LivePipeline.record`` and ``snapshot``),
    which the settings file's ``record`` / ``snapshot_dir`` and the GUI's buttons share; mirroring is the
    compositor's alone, for every sink."""
    sinks: list[Sink] = []
    if settings.vcam:
        sinks.append(VirtualCameraSink(device=settings.vcam_device or None))
    return sinks
