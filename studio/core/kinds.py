"""Every kind Studio names in settings, on the command line and in events, defined once.

The members are strings (``SourceKind.CAMERA == "camera"``), so the settings file and JSON keep plain words and old
code that compares with a literal still works; new code compares with the member, so a typo is an AttributeError at
the first run rather than a branch that never matches. Suffix lists live here too, so "what is a picture" has one
answer for the file dialogs, the capture sources and the batch.
"""

from __future__ import annotations

from enum import Enum


class StrKind(str, Enum):
    """A str-valued enum that prints as its value on every Python (3.12 changed format() of mixed-in enums)."""

    def __str__(self) -> str:
        return str(self.value)

    def __format__(self, spec: str) -> str:
        return format(str(self.value), spec)

    @classmethod
    def values(cls) -> tuple[str, ...]:
        return tuple(m.value for m in cls)

    @classmethod
    def parse(cls, text: str):
        """The member named by ``text``, or None."""
        try:
            return cls(text)
        except ValueError:
            return None


class SourceKind(StrKind):
    AUTO = "auto"  # a camera when the box has one, else the demo; with a uri: guessed from it
    CAMERA = "camera"
    FILE = "file"  # a video file
    IMAGE = "image"  # a still picture, repeated at the source's rate
    SYNTHETIC = "synthetic"  # a drawn scene with known truth (the demo)


class BackgroundKind(StrKind):
    BLUR = "blur"
    COLOR = "color"
    IMAGE = "image"
    VIDEO = "video"
    NONE = "none"  # transparent


class Quality(StrKind):
    """How hard a still cutout tries: the CLI's --quality, the service's ?quality=, the kiosk's toggle."""

    FAST = "fast"  # one look with one model
    BEST = "best"  # quality mode: several looks and models fused (studio.stills.quality), ~1 s a picture


class AlignMode(StrKind):
    """live.align_mask: whether the output waits (bounded) for the mask of the frame it is about to composite."""

    AUTO = "auto"  # wait when the model's recent work fits the latency budget, else use the newest mask
    OFF = "off"  # never wait: every frame gets the newest mask there is


class EventKind(StrKind):
    """What a PipelineEvent reports; the GUI's banners and the CLI's reactions key on these."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"
    SOURCE_LOST = "source-lost"
    SOURCE_RECOVERED = "source-recovered"
    SOURCE_CHANGED = "source-changed"
    SOURCE_FINISHED = "source-finished"
    SOURCE_WARNING = "source-warning"  # the source works but something is off (a damaged video file), said once
    BACKEND_RESTART = "backend-restart"
    BACKEND_FALLBACK = "backend-fallback"
    MODEL_LOADED = "model-loaded"
    FATAL = "fatal"  # a permanent inference error (missing or corrupt model, runtime not installed): no retry
    BACKEND_HUNG = "backend-hung"  # a backend that hung too often is not restarted again
    MASK_REJECTED = "mask-rejected"  # a model output that is no mask (NaN, out of range, wrong shape) was dropped
    VCAM_FAILED = "vcam-failed"  # the virtual camera could not be opened or written (it is taken out)
    SINK_FAILED = "sink-failed"  # another output (recorder, snapshot, preview) could not be opened or written
    IDLE = "idle"  # nobody reads the virtual camera (and nothing else watches): inference stopped, a slate goes out
    WATCHED = "watched"  # a program opened the virtual camera again: the pipeline runs again


# Kinds whose setting names a file (source.uri / background.path).
SOURCE_KINDS_WITH_FILE = (SourceKind.FILE, SourceKind.IMAGE)
BACKGROUND_KINDS_WITH_FILE = (BackgroundKind.IMAGE, BackgroundKind.VIDEO)

# One answer to "is this a picture / a video" for dialogs, sources and batches (lower-case, with the dot).
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".tif", ".tiff", ".gif", ".jfif", ".pgm", ".ppm")
VIDEO_SUFFIXES = (".mp4", ".mkv", ".avi", ".mov", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".flv", ".ts")
# Pictures that may move: a still for the stills commands (first frame), a video for a live source.
ANIMATED_SUFFIXES = (".gif",)
# As live sources and backgrounds (OpenCV reads them): a still picture, or something that plays.
STILL_SOURCE_SUFFIXES = tuple(s for s in IMAGE_SUFFIXES if s not in ANIMATED_SUFFIXES)
MOVING_SOURCE_SUFFIXES = VIDEO_SUFFIXES + ANIMATED_SUFFIXES
