"""GPU tests: run on a box with an NVIDIA GPU (tests/gpu/run.sh); everywhere else each test skips with the reason."""

from __future__ import annotations

import importlib.util

import pytest


def _has_tensorrt_gpu() -> str:
    from studio.inference.runtimes.tensorrt import TensorRtBackend

    return TensorRtBackend.unavailable_reason()


def _has_ort_cuda() -> str:
    if importlib.util.find_spec("onnxruntime") is None:
        return "onnxruntime is not installed"
    import onnxruntime as ort

    have = ort.get_available_providers()
    return "" if "CUDAExecutionProvider" in have else f"onnxruntime has no CUDAExecutionProvider ({', '.join(have)})"


@pytest.fixture
def trt_gpu():
    why = _has_tensorrt_gpu()
    if why:
        pytest.skip(why)


@pytest.fixture
def ort_cuda():
    why = _has_ort_cuda()
    if why:
        pytest.skip(why)
