"""Backend registry (names, auto-selection, fallback chain) and engine cache keys, with the real runtimes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from studio.core.errors import BackendUnavailable, ModelError
from studio.inference.base import Backend
from studio.inference.cache import EngineKey, file_sha256, shape_profile
from studio.inference.registry import (CPU_RULE, SelectionReport, auto_order, available_backends, cpu_order,
                                       create_backend, fallback_chain)
from studio.models.spec import ModelSpec

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper  # noqa: E402

SPEC = ModelSpec(name="tiny", kind="portrait", file="tiny.onnx", licence="test", source="built in the test",
                 layout="NCHW", input_size=(16, 8))


@pytest.fixture
def tiny(tmp_path) -> Path:
    """x (1x3x8x16) -> sigmoid(sum over channels)."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 16])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, 8, 16])
    axes = helper.make_tensor("axes", TensorProto.INT64, [1], [1])
    graph = helper.make_graph([helper.make_node("ReduceSum", ["x", "axes"], ["s"], keepdims=1),
                               helper.make_node("Sigmoid", ["s"], ["y"])], "tiny", [x], [y], initializer=[axes])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    path = tmp_path / "tiny.onnx"
    onnx.save(model, str(path))
    return path


def _cpu_only_box() -> bool:
    avail = available_backends()
    return not avail["tensorrt"] and "cuda" not in avail["onnxruntime"] and \
        not any(d.startswith(("gpu", "npu")) for d in avail["openvino"])


def test_available_backends_lists_installed_runtimes():
    avail = available_backends()
    assert set(avail) >= {"onnxruntime", "openvino", "tensorrt"}
    assert "cpu" in avail["onnxruntime"] and "cpu" in avail["openvino"]
    assert all(isinstance(v, list) for v in avail.values())


def test_explicit_backend_is_loaded_and_reported(tiny):
    backend, report = create_backend("onnxruntime", SPEC, tiny, "cpu")
    assert isinstance(backend, Backend) and isinstance(report, SelectionReport)
    assert report.chosen.name == "onnxruntime" and report.chosen.device == "cpu"
    assert report.tried == [("onnxruntime", "cpu", None)]
    x = np.ones((1, 3, 8, 16), np.float32)
    np.testing.assert_allclose(backend.infer(x), np.full((1, 1, 8, 16), 1 / (1 + np.exp(-3.0))), atol=1e-6)
    backend.close()


def test_auto_says_what_it_tried_and_why(tiny):
    backend, report = create_backend("auto", SPEC, tiny)
    assert report.tried[-1][2] is None and (report.tried[-1][0], report.tried[-1][1]) == \
        (report.chosen.name, report.chosen.device)
    assert report.reason.startswith("auto chose ")
    # Everything before the winner failed or was skipped, with a stated error.
    assert all(err for _, _, err in report.tried[:-1])
    if _cpu_only_box():
        assert (report.chosen.name, "cpu") == cpu_order()[0]
        assert report.chosen.device == "cpu"
        assert CPU_RULE in report.reason
        assert [(n, d) for n, d, _ in report.tried] == auto_order()[: len(report.tried)]
        assert any(n == "tensorrt" and "TensorRT" in err for n, _, err in report.tried)
    backend.close()


def test_auto_falls_through_to_the_next_cpu_runtime_on_failure(tiny, monkeypatch):
    """A runtime that fails to load is recorded and the next one is used."""
    import studio.inference.runtimes.openvino as ovrt

    def broken_load(self, spec, path, device="auto"):
        raise BackendUnavailable("openvino refused for this test")

    monkeypatch.setattr(ovrt.OpenVinoBackend, "load", broken_load)
    backend, report = create_backend("auto", SPEC, tiny, "cpu")
    assert report.chosen.name == "onnxruntime"
    assert ("openvino", "cpu", "openvino refused for this test") in report.tried
    backend.close()


def test_requesting_cuda_on_a_cpu_box_is_unavailable(tiny):
    if not _cpu_only_box():
        pytest.skip("this box has a GPU runtime")
    with pytest.raises(BackendUnavailable, match="CUDAExecutionProvider"):
        create_backend("onnxruntime", SPEC, tiny, "cuda")
    with pytest.raises(BackendUnavailable) as err:
        create_backend("auto", SPEC, tiny, "cuda")
    assert "tensorrt" in err.value.message and "onnxruntime cuda" in err.value.message


def test_tensorrt_is_a_clear_message_not_a_stub(tiny):
    import importlib.util

    with pytest.raises(BackendUnavailable) as err:
        create_backend("tensorrt", SPEC, tiny)
    if importlib.util.find_spec("tensorrt") is None:
        assert "[tensorrt]" in err.value.hint and "NVIDIA" in str(err.value)
    assert available_backends()["tensorrt"] == []


def test_unknown_backend_and_broken_model(tmp_path):
    with pytest.raises(BackendUnavailable, match="unknown backend"):
        create_backend("tflite", SPEC, tmp_path / "x.onnx")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"\x00not onnx")
    with pytest.raises(ModelError):  # every runtime refused the file: the model is the problem
        create_backend("auto", SPEC, bad, "cpu")


def test_cpu_rule_depends_on_the_architecture():
    assert cpu_order("x86_64") == [("openvino", "cpu"), ("onnxruntime", "cpu")]
    assert cpu_order("aarch64") == [("onnxruntime", "cpu"), ("openvino", "cpu")]
    assert auto_order("x86_64")[:4] == [("tensorrt", "cuda:0"), ("openvino", "gpu"), ("openvino", "npu"),
                                        ("onnxruntime", "cuda")]


GPU_BOX = {"tensorrt": ["cuda:0"], "onnxruntime": ["cuda", "cpu"], "openvino": ["cpu"]}
INTEL_BOX = {"tensorrt": [], "onnxruntime": ["cpu"], "openvino": ["cpu", "gpu"]}


def test_fallback_chain_goes_downhill_and_skips_what_the_box_lacks():
    cpu = cpu_order()
    assert fallback_chain("tensorrt", "cuda:0", GPU_BOX) == [("onnxruntime", "cuda")] + cpu
    assert fallback_chain("onnxruntime", "cuda:0", GPU_BOX) == cpu
    assert fallback_chain("openvino", "gpu", INTEL_BOX) == cpu
    assert fallback_chain("openvino", "gpu.0", INTEL_BOX) == cpu
    assert fallback_chain("openvino", "cpu", INTEL_BOX) == [("onnxruntime", "cpu")]
    assert fallback_chain("onnxruntime", "cpu", INTEL_BOX) == [("openvino", "cpu")]
    assert fallback_chain("onnxruntime", "cpu", {"onnxruntime": ["cpu"], "openvino": [], "tensorrt": []}) == []
    for name, device in auto_order():
        assert (name, device) not in fallback_chain(name, device, GPU_BOX)
    # "auto" names no failing pair: everything the box can run, in auto order.
    assert fallback_chain("auto", "auto", GPU_BOX) == [("tensorrt", "cuda:0"), ("onnxruntime", "cuda")] + cpu


# -- engine cache keys -----------------------------------------------------------------------------------------------
KEY = EngineKey("ab" * 32, "openvino", "2026.4.1", "CPU AMD EPYC", "1x3x320x320", "f32")


@pytest.mark.parametrize("change", [
    {"model_sha256": "cd" * 32}, {"runtime": "tensorrt"}, {"runtime_version": "2026.4.2"},
    {"device": "GPU.0 Intel Arc"}, {"device": "CPU Intel Core i5"}, {"shape_profile": "1x3x256x256"},
    {"precision": "bf16"},
])
def test_every_component_of_the_cache_key_changes_the_folder(change):
    other = replace(KEY, **change)
    assert other.folder_name() != KEY.folder_name()
    assert other.folder(Path("/e")) != KEY.folder(Path("/e"))


def test_cache_key_is_stable_and_readable(tmp_path):
    assert replace(KEY).folder_name() == KEY.folder_name()
    assert KEY.folder(tmp_path) == tmp_path / "openvino" / KEY.folder_name()
    assert KEY.folder_name().startswith("abababababab-cpu_amd_epyc-")
    assert not KEY.folder(tmp_path).exists()  # a key creates nothing
    with pytest.raises(ValueError):
        EngineKey("not-a-hash", "openvino", "1", "CPU", "1x3x8x8")
    with pytest.raises(ValueError):
        EngineKey("ab" * 32, "openvino", "", "CPU", "1x3x8x8")


def test_shape_profile_and_file_hash(tmp_path):
    assert shape_profile([1, 3, 320, 320]) == "1x3x320x320"
    assert shape_profile([1, 3, "h", "w"]) == "dynamic"
    assert shape_profile([1, 3, -1, 320]) == "dynamic"
    f = tmp_path / "m.onnx"
    f.write_bytes(b"one")
    first = file_sha256(f)
    assert first == "7692c3ad3540bb803c020b3aee66cd8887123234ea0c6e7143c0add73ff431ed"
    f.write_bytes(b"two!")  # a new file (size and mtime change): a new hash, so a new cache folder
    assert file_sha256(f) != first
