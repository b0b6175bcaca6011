"""Runtimes that run a model file: the Backend protocol, the backend registry with auto-selection, the Segmenter
(frame -> mask at model size) and, for the live pipeline, the InferenceWorker thread. Runtimes are imported lazily."""

from studio.inference.base import Backend, BackendInfo
from studio.inference.segmenter import Segmenter, Segmentation

__all__ = ["Backend", "BackendInfo", "Segmentation", "Segmenter"]
