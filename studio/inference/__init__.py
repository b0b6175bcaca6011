"""Runtimes that run a model file: the one entry point ``open_segmenter`` (model name -> ready Segmenter), the
Backend protocol and its runtimes (runtimes/), the backend registry with auto-selection and the fallback chain, the
Segmenter (frame -> mask at model size) and, for the live pipeline, the InferenceWorker thread and its supervisor.
Runtimes are imported lazily."""

from studio.inference.base import Backend, BackendFactory, BackendInfo, SelectionReport
from studio.inference.open_model import open_segmenter
from studio.inference.segmenter import Segmentation, Segmenter

__all__ = ["Backend", "BackendFactory", "BackendInfo", "SelectionReport", "Segmentation", "Segmenter",
           "open_segmenter"]
