"""Sinks: virtual camera (pyvirtualcam), recorder, snapshot, null and callback sinks."""

from studio.output.base import OutputFrame, Sink
from studio.output.convert import FrameConverter, flatten_bgra
from studio.output.recorder import RecorderSink
from studio.output.simple import CallbackSink, NullSink
from studio.output.sinks import make_sinks
from studio.output.snapshot import SnapshotSink
from studio.output.vcam import VirtualCameraSink, vcam_hint

__all__ = ["CallbackSink", "FrameConverter", "NullSink", "OutputFrame", "RecorderSink", "Sink", "SnapshotSink",
           "VirtualCameraSink", "flatten_bgra", "make_sinks", "vcam_hint"]
