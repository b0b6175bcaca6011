"""Build the sinks the output settings ask for."""

from __future__ import annotations

from typing import TYPE_CHECKING

from studio.output.base import Sink
from studio.output.recorder import RecorderSink
from studio.output.snapshot import SnapshotSink
from studio.output.vcam import VirtualCameraSink

if TYPE_CHECKING:
    from studio.config.settings import OutputSettings


def make_sinks(settings: "OutputSettings") -> list[Sink]:
    """Virtual camera (when enabled), recorder (when a path is set) and always a snapshot sink, so the GUI's
    snapshot button works without set-up (pictures go to ``snapshot_dir`` or the user's Pictures/Studio).
    Nothing is opened here; the output thread opens each sink at the frame size."""
    sinks: list[Sink] = []
    if settings.vcam:
        sinks.append(VirtualCameraSink(device=settings.vcam_device or None, mirror=settings.mirror))
    if settings.record.strip():
        sinks.append(RecorderSink(settings.record.strip()))
    sinks.append(SnapshotSink(settings.snapshot_dir.strip() or None))
    return sinks
