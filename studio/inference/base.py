"""The Backend protocol: a runtime that loads one model file and runs it.

A backend is created, loaded, used and closed on one thread (the inference worker's), so implementations need no
locks. ``infer`` takes the input tensor made by ``studio.models.processing.Preprocessor`` and returns the raw output
array chosen by ``spec.output_index``; activation and resizing are the Segmenter's job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Protocol, runtime_checkable

import numpy as np

from studio.models.spec import ModelSpec


@dataclass(frozen=True)
class BackendInfo:
    """What actually runs: the runtime, its version, the device and (ORT) the providers really active."""

    name: str
    version: str
    device: str
    providers: tuple[str, ...] = ()
    notes: str = ""
    extra: dict[str, str] = field(default_factory=dict)

    def label(self) -> str:
        return f"{self.name} {self.version} on {self.device}"


@runtime_checkable
class Backend(Protocol):
    name: str

    @classmethod
    def available_devices(cls) -> list[str]:
        """Devices this runtime can use on this box (e.g. ["CPU"], ["CPU", "GPU.0"]); [] when not installed."""

    def load(self, spec: ModelSpec, path, device: str = "auto") -> BackendInfo:
        """Build a session for ``path`` (a verified model file). Raises BackendUnavailable / ModelError."""

    def infer(self, tensor: np.ndarray) -> np.ndarray:
        """Run once; return the output at ``spec.output_index``."""

    def supports_shape(self, width: int, height: int) -> bool:
        """Whether the loaded model accepts an input of this size (fixed models: only their own)."""

    @property
    def info(self) -> BackendInfo: ...

    def close(self) -> None: ...


def spatial_dims(shape, layout: str) -> tuple:
    """(height, width) of an input ``shape`` in ``layout`` ("NCHW" or "NHWC"), as the runtime reports them (a dynamic
    dim may be a name, None or -1: each runtime decides what that accepts)."""
    return (shape[2], shape[3]) if layout == "NCHW" else (shape[1], shape[2])


@dataclass(frozen=True)
class SelectionReport:
    """How a backend was chosen: what runs, why, and every (name, device) tried on the way with its error or None."""

    chosen: BackendInfo
    reason: str
    tried: list[tuple[str, str, str | None]] = field(default_factory=list)


# (spec, backend name, device) -> a loaded Backend. The live pipeline, the GUI and the tests may supply one to
# open_segmenter in place of the registry (tests pass a real runtime with one thread, or a fault-injecting wrapper).
BackendFactory = Callable[[ModelSpec, str, str], Backend]
