"""One model on one backend, turned into frame-size alphas for still images (shared by batch and evaluate)."""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from studio.compose.refine import refine_still
from studio.config.settings import RefineSettings


@dataclass(frozen=True)
class Cutout:
    alpha: np.ndarray  # HxW float32 [0, 1] at the image's size
    model_input_size: tuple[int, int]  # (width, height) the model saw
    seconds: float  # segmentation + refinement


class Cutter:
    """Loads ``model`` once on ``backend``/``device``; ``cut`` segments and refines one image. Use as a context
    manager (or call close) so the runtime session is released."""

    def __init__(self, model: str, backend: str = "auto", device: str = "auto", *,
                 refine: RefineSettings | None = None) -> None:
        from studio.inference import Segmenter
        from studio.inference.registry import create_backend
        from studio.models import default_registry

        self.spec, path = default_registry().resolve(model)
        self._backend, self.report = create_backend(backend, self.spec, path, device)
        self._segmenter = Segmenter(self.spec, self._backend)
        self.refine = refine if refine is not None else RefineSettings(smoothing=0.0)

    @property
    def backend_label(self) -> str:
        return self.report.chosen.label()

    def cut(self, image_bgr: np.ndarray, *, refine: bool = True) -> Cutout:
        t0 = time.perf_counter()
        seg = self._segmenter.segment(image_bgr)
        if refine:
            alpha = refine_still(seg.alpha, image_bgr, self.refine)
        else:
            import cv2

            h, w = image_bgr.shape[:2]
            alpha = cv2.resize(seg.alpha, (w, h), interpolation=cv2.INTER_LINEAR)
        return Cutout(alpha, seg.input_size, time.perf_counter() - t0)

    def close(self) -> None:
        self._segmenter.close()

    def __enter__(self) -> "Cutter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
