"""ONNX Runtime's CUDA and TensorRT providers on a real GPU: the provider asked for is the one that runs."""

from __future__ import annotations

import numpy as np
import pytest

from studio.core.errors import BackendUnavailable
from studio.inference import open_segmenter

pytestmark = pytest.mark.gpu


def test_cuda_provider_is_active_and_agrees_with_cpu(ort_cuda):
    gpu = open_segmenter("u2netp", "onnxruntime", "cuda:0")
    cpu = open_segmenter("u2netp", "onnxruntime", "cpu")
    try:
        assert gpu.report.chosen.providers[0] == "CUDAExecutionProvider"
        frame = np.random.default_rng(0).integers(0, 255, (480, 640, 3), np.uint8)
        assert np.abs(gpu.segment(frame).alpha - cpu.segment(frame).alpha).max() < 0.02
    finally:
        gpu.close()
        cpu.close()


def test_tensorrt_provider_runs_or_says_why(ort_cuda):
    try:
        seg = open_segmenter("selfie", "onnxruntime", "tensorrt:0")
    except BackendUnavailable as exc:  # onnxruntime-gpu without TensorRT libraries: a clear error, not the CPU
        assert "TensorrtExecutionProvider" in exc.message
        return
    try:
        assert seg.report.chosen.providers[0] == "TensorrtExecutionProvider"
    finally:
        seg.close()
