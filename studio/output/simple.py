"""Sinks with no device: NullSink (benchmarks, headless runs) and CallbackSink (the GUI preview, tests)."""

from __future__ import annotations

from typing import Callable

from studio.output.base import OutputFrame


class NullSink:
    """Counts frames and throws them away."""

    def __init__(self, name: str = "null") -> None:
        self.name = name
        self.frames = 0
        self.size: tuple[int, int] = (0, 0)
        self.fps = 0.0

    def open(self, width: int, height: int, fps: float) -> None:
        self.size, self.fps = (int(width), int(height)), float(fps)

    def write(self, frame: OutputFrame) -> None:
        self.frames += 1

    def close(self) -> None:
        pass


class CallbackSink:
    """Hands every frame to ``callback`` on the output thread. The frame's image may be a reused buffer: a callback
    that keeps it past the call must copy it (the GUI bridge copies into its own buffer before emitting a signal)."""

    def __init__(self, callback: Callable[[OutputFrame], None], name: str = "callback") -> None:
        self.callback = callback
        self.name = name
        # Whether somebody sees these frames (a minimised window's preview does not): studio.control.idle reads it.
        self.watching = True
        self.frames = 0
        self.size: tuple[int, int] = (0, 0)

    def open(self, width: int, height: int, fps: float) -> None:
        self.size = (int(width), int(height))

    def write(self, frame: OutputFrame) -> None:
        self.callback(frame)
        self.frames += 1

    def close(self) -> None:
        pass
