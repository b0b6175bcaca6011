"""Segmenter: frame in, mask at model size out (adaptive resize -> normalise -> backend.infer -> activation).

Shared by stills, the live worker, benchmarks and the server, so every path measures and computes the same thing.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from studio.inference.base import Backend, SelectionReport
from studio.models.processing import Preprocessor, to_alpha
from studio.models.resolution import choose_input_size
from studio.models.spec import ModelSpec


@dataclass(frozen=True)
class Segmentation:
    alpha: np.ndarray  # HxW float32 [0, 1] at the model's output size
    input_size: tuple[int, int]  # (width, height) the model saw
    pre_seconds: float
    infer_seconds: float
    post_seconds: float

    @property
    def total_seconds(self) -> float:
        return self.pre_seconds + self.infer_seconds + self.post_seconds


class Segmenter:
    """Made by ``studio.inference.open_segmenter`` (the one way to open a model); ``report`` says what runs and why."""

    def __init__(self, spec: ModelSpec, backend: Backend, *, target_area: int | None = None,
                 report: SelectionReport | None = None) -> None:
        self.spec = spec
        self.backend = backend
        self.report = report
        self.target_area = target_area
        self.max_area: int | None = None  # lowered by the thermal governor
        self._pre = Preprocessor(spec)

    @property
    def backend_label(self) -> str:
        """What actually runs ("openvino 2025.1 on CPU"): the selection report's, else the backend's own info."""
        if self.report is not None:
            return self.report.chosen.label()
        info = getattr(self.backend, "info", None)
        return info.label() if info is not None else getattr(self.backend, "name", type(self.backend).__name__)

    def input_size_for(self, width: int, height: int) -> tuple[int, int]:
        size = choose_input_size(width, height, self.spec, target_area=self.target_area, max_area=self.max_area)
        if not self.backend.supports_shape(*size):
            # A runtime that compiled a fixed profile (e.g. a static TensorRT engine) keeps the model's own size.
            size = self.spec.input_size
        return size

    def segment(self, image_bgr: np.ndarray) -> Segmentation:
        h, w = image_bgr.shape[:2]
        t0 = time.perf_counter()
        size = self.input_size_for(w, h)
        tensor = self._pre(image_bgr, size)
        t1 = time.perf_counter()
        out = self.backend.infer(tensor)
        t2 = time.perf_counter()
        alpha = to_alpha(out, self.spec.activation)
        t3 = time.perf_counter()
        return Segmentation(alpha, size, t1 - t0, t2 - t1, t3 - t2)

    def close(self) -> None:
        self.backend.close()
