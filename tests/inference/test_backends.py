"""ONNX Runtime and OpenVINO backends on real models: tiny ones built here with onnx.helper, and the embedded ones."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from studio.core.errors import BackendUnavailable, ModelError
from studio.inference import Segmenter
from studio.inference.runtimes.onnxruntime import OnnxRuntimeBackend, parse_device
from studio.inference.runtimes.openvino import MAX_COMPILED_SHAPES, OpenVinoBackend, from_ov_device, to_ov_device
from studio.models.processing import Preprocessor
from studio.models.spec import ModelSpec

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper  # noqa: E402

WEIGHTS = np.array([0.2, -0.3, 0.5], np.float32)
BIAS = -0.1
BACKENDS = [OnnxRuntimeBackend, OpenVinoBackend]


def build_tiny_model(path: Path, height: int | str = 24, width: int | str = 32) -> Path:
    """x (1x3xHxW) -> raw = 1x1 conv (WEIGHTS, BIAS); prob = sigmoid(raw). Outputs: prob, raw. String dims are
    symbolic (a dynamic-size model)."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, height, width])
    prob = helper.make_tensor_value_info("prob", TensorProto.FLOAT, [1, 1, height, width])
    raw = helper.make_tensor_value_info("raw", TensorProto.FLOAT, [1, 1, height, width])
    w = helper.make_tensor("w", TensorProto.FLOAT, [1, 3, 1, 1], WEIGHTS.tolist())
    b = helper.make_tensor("b", TensorProto.FLOAT, [1], [BIAS])
    graph = helper.make_graph(
        [helper.make_node("Conv", ["x", "w", "b"], ["raw"]), helper.make_node("Sigmoid", ["raw"], ["prob"])],
        "tiny", [x], [prob, raw], initializer=[w, b])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], producer_name="studio-tests")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return path


def reference(x: np.ndarray) -> np.ndarray:
    raw = np.einsum("nchw,c->nhw", x, WEIGHTS)[:, None] + BIAS
    return 1.0 / (1.0 + np.exp(-raw))


def tiny_spec(dynamic: bool = False, output_index: int = 0, size=(32, 24)) -> ModelSpec:
    return ModelSpec(name="tiny", kind="portrait", file="tiny.onnx", licence="test", source="built in the test",
                     layout="NCHW", size_policy="dynamic" if dynamic else "fixed", input_size=size, stride=8,
                     output_index=output_index)


@pytest.fixture
def tiny_static(tmp_path) -> Path:
    return build_tiny_model(tmp_path / "tiny.onnx")


@pytest.fixture
def tiny_dynamic(tmp_path) -> Path:
    return build_tiny_model(tmp_path / "tiny_dyn.onnx", "h", "w")


def _input(h: int, w: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).random((1, 3, h, w), dtype=np.float32)


def _embedded(name: str):
    from studio.models import default_registry

    reg = default_registry()
    if name not in reg or not reg.status(name).present:
        pytest.skip(f"embedded model {name} is not vendored in resources/models yet")
    return reg.resolve(name)


def _test_frame(shared: Path | None) -> np.ndarray:
    """A real portrait when the shared test material is there, otherwise a drawn figure on a textured wall."""
    if shared is not None:
        img = cv2.imread(str(shared / "portraits" / "img" / "1.jpg"))
        if img is not None:
            return img
    frame = np.zeros((480, 640, 3), np.uint8)
    frame[:] = np.linspace(40, 200, 640, dtype=np.uint8)[None, :, None]
    cv2.ellipse(frame, (320, 200), (80, 100), 0, 0, 360, (150, 170, 210), -1)
    cv2.rectangle(frame, (200, 300), (440, 480), (60, 60, 160), -1)
    return frame


# -- tiny models: exact numbers --------------------------------------------------------------------------------------
@pytest.mark.parametrize("cls", BACKENDS)
def test_tiny_static_model_computes_the_reference(cls, tiny_static):
    backend = cls()
    info = backend.load(tiny_spec(), tiny_static, "cpu")
    assert info.name == cls.name and info.device == "cpu" and info.version
    x = _input(24, 32)
    np.testing.assert_allclose(np.asarray(backend.infer(x)), reference(x), atol=1e-5)
    assert backend.supports_shape(32, 24)
    assert not backend.supports_shape(24, 32) and not backend.supports_shape(64, 48)
    backend.close()


@pytest.mark.parametrize("cls", BACKENDS)
def test_output_index_selects_the_output(cls, tiny_static):
    backend = cls()
    backend.load(tiny_spec(output_index=-1), tiny_static, "cpu")
    x = _input(24, 32, seed=3)
    raw = np.asarray(backend.infer(x))
    np.testing.assert_allclose(raw, np.einsum("nchw,c->nhw", x, WEIGHTS)[:, None] + BIAS, atol=1e-5)
    with pytest.raises(ModelError, match="output_index"):
        cls().load(tiny_spec(output_index=2), tiny_static, "cpu")


@pytest.mark.parametrize("cls", BACKENDS)
def test_dynamic_model_accepts_any_size(cls, tiny_dynamic):
    backend = cls()
    backend.load(tiny_spec(dynamic=True), tiny_dynamic, "cpu")
    assert backend.supports_shape(64, 48) and backend.supports_shape(640, 480)
    for h, w in ((48, 64), (24, 40), (48, 64)):
        x = _input(h, w, seed=h + w)
        out = np.asarray(backend.infer(x))
        assert out.shape == (1, 1, h, w)
        np.testing.assert_allclose(out, reference(x), atol=1e-5)
    backend.close()


def test_openvino_keeps_a_bounded_set_of_compiled_shapes(tiny_dynamic):
    backend = OpenVinoBackend()
    backend.load(tiny_spec(dynamic=True), tiny_dynamic, "cpu")
    sizes = [(8 * (i + 1), 16) for i in range(MAX_COMPILED_SHAPES + 2)]
    for h, w in sizes:
        backend.infer(_input(h, w))
    shapes = backend.compiled_shapes
    assert len(shapes) == MAX_COMPILED_SHAPES
    assert shapes[-1] == (1, 3, sizes[-1][0], sizes[-1][1])  # most recent kept, oldest evicted
    assert (1, 3, sizes[0][0], sizes[0][1]) not in shapes
    backend.close()


def test_openvino_rejects_a_wrong_size_for_a_fixed_model(tiny_static):
    backend = OpenVinoBackend()
    backend.load(tiny_spec(), tiny_static, "cpu")
    with pytest.raises(ModelError, match="does not match"):
        backend.infer(_input(48, 64))


def test_openvino_writes_its_cache_under_engines(tiny_static, tmp_path, monkeypatch):
    from studio.core import paths

    monkeypatch.setenv("STUDIO_ENGINES_DIR", str(tmp_path / "engines"))
    backend = OpenVinoBackend(precision="f32")
    info = backend.load(tiny_spec(), tiny_static, "cpu")
    cache_dir = Path(info.extra["cache_dir"])
    assert cache_dir.parent == paths.engines_dir() / "openvino"
    assert cache_dir.is_dir() and any(cache_dir.iterdir()), "OpenVINO wrote no cache entry"
    again = OpenVinoBackend(precision="f32").load(tiny_spec(), tiny_static, "cpu")
    assert again.extra["cache_dir"] == str(cache_dir)  # same model, runtime, device: same folder
    other = OpenVinoBackend(precision="f16").load(tiny_spec(), tiny_static, "cpu")
    assert other.extra["cache_dir"] != str(cache_dir)  # another precision: another folder, never the stale one


def test_onnxruntime_io_binding_gives_the_same_answer(tiny_static):
    plain, bound = OnnxRuntimeBackend(io_binding=False), OnnxRuntimeBackend()
    plain.load(tiny_spec(), tiny_static, "cpu")
    info = bound.load(tiny_spec(), tiny_static, "cpu")
    assert info.extra["io_binding"] == "true"
    for seed in range(3):
        x = _input(24, 32, seed)
        np.testing.assert_allclose(np.array(bound.infer(x)), plain.infer(x), atol=1e-6)


def test_onnxruntime_reports_threads_and_active_providers(tiny_static):
    info = OnnxRuntimeBackend(threads=1).load(tiny_spec(), tiny_static, "cpu")
    assert info.extra["intra_op_threads"] == "1"
    assert info.providers == ("CPUExecutionProvider",)


# -- devices that this box lacks -------------------------------------------------------------------------------------
def test_onnxruntime_cuda_on_a_cpu_box_is_an_error_not_a_fallback(tiny_static):
    import onnxruntime as ort

    if "CUDAExecutionProvider" in ort.get_available_providers():
        pytest.skip("this box has CUDA for onnxruntime")
    with pytest.raises(BackendUnavailable) as err:
        OnnxRuntimeBackend().load(tiny_spec(), tiny_static, "cuda:0")
    assert "CUDAExecutionProvider" in err.value.message
    assert "onnxruntime-gpu" in err.value.hint
    assert "CUDA" not in OnnxRuntimeBackend.available_devices() and "cuda" not in OnnxRuntimeBackend.available_devices()


def test_openvino_gpu_on_a_box_without_one_is_an_error(tiny_static):
    if any(d.startswith("gpu") for d in OpenVinoBackend.available_devices()):
        pytest.skip("this box has an Intel GPU for OpenVINO")
    with pytest.raises(BackendUnavailable, match="gpu"):
        OpenVinoBackend().load(tiny_spec(), tiny_static, "gpu")


def test_unknown_devices_and_bad_files_are_clear_errors(tmp_path, tiny_static):
    with pytest.raises(BackendUnavailable, match="unknown device"):
        OnnxRuntimeBackend().load(tiny_spec(), tiny_static, "quantum")
    bad = tmp_path / "bad.onnx"
    bad.write_bytes(b"this is not a model")
    for cls in BACKENDS:
        with pytest.raises(ModelError):
            cls().load(tiny_spec(), bad, "cpu")
        with pytest.raises(ModelError, match="not found"):
            cls().load(tiny_spec(), tmp_path / "absent.onnx", "cpu")
        with pytest.raises(RuntimeError, match="load"):
            cls().infer(_input(24, 32))


def test_device_name_parsing():
    assert parse_device("cuda:1") == ("cuda", 1)
    assert parse_device("auto") == ("auto", None)
    assert parse_device("openvino:GPU") == ("openvino", "GPU")
    assert parse_device("gpu") == ("cuda", None)
    with pytest.raises(BackendUnavailable):
        parse_device("cuda:first")
    assert to_ov_device("gpu:1") == "GPU.1" and to_ov_device("GPU.0") == "GPU.0" and to_ov_device("cpu") == "CPU"
    assert from_ov_device("GPU.0") == "gpu:0" and from_ov_device("NPU") == "npu"


# -- the embedded models: both runtimes agree ------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["selfie", "selfie-landscape", "u2netp"])
def test_runtimes_agree_on_embedded_models(name):
    spec, path = _embedded(name)
    from studio.core.paths import shared_data_dir

    frame = _test_frame(shared_data_dir())
    tensor = Preprocessor(spec)(frame, spec.input_size).copy()
    ort_b = OnnxRuntimeBackend()
    ort_b.load(spec, path, "cpu")
    ref = np.array(ort_b.infer(tensor))
    # f32 OpenVINO: the same numbers up to float rounding.
    ov32 = OpenVinoBackend(precision="f32")
    ov32.load(spec, path, "cpu")
    np.testing.assert_allclose(np.array(ov32.infer(tensor)), ref, atol=2e-3)
    # OpenVINO's own precision choice (bf16 on CPUs that have it) is opt-in: the same mask in the large, but it moves
    # single edge pixels by up to ~0.4 on u2netp, which is why f32 is the default.
    ov = OpenVinoBackend(precision="auto")
    ov.load(spec, path, "cpu")
    out = np.array(ov.infer(tensor))
    assert np.abs(out - ref).mean() < 0.02, np.abs(out - ref).mean()
    a, b = out > 0.5, ref > 0.5
    if b.mean() > 0.05:  # IoU says little about a mask with next to no foreground (the drawn fallback frame)
        iou = (a & b).sum() / (a | b).sum()
        assert iou > 0.97, iou


@pytest.mark.parametrize("cls", BACKENDS)
def test_segmenter_runs_on_each_backend(cls):
    spec, path = _embedded("selfie")
    backend = cls()
    backend.load(spec, path, "cpu")
    seg = Segmenter(spec, backend)
    frame = _test_frame(None)
    first = seg.segment(frame)
    second = seg.segment(frame)
    assert first.alpha.shape == (256, 256) and first.input_size == (256, 256)
    assert 0.0 <= first.alpha.min() and first.alpha.max() <= 1.0
    # The mask is the caller's: a later inference into the runtime's reused buffer must not change it.
    np.testing.assert_array_equal(first.alpha, second.alpha)
    assert first.alpha is not second.alpha
    seg.close()


@pytest.mark.parametrize("make", [OnnxRuntimeBackend, OpenVinoBackend, lambda: OnnxRuntimeBackend(io_binding=False)])
def test_a_reused_input_buffer_is_read_afresh_each_call(make, tiny_static):
    """Backends bind the caller's buffer once; new contents in the same buffer must still give new answers."""
    backend = make()
    backend.load(tiny_spec(), tiny_static, "cpu")
    buf = _input(24, 32, seed=1)
    first = np.array(backend.infer(buf))
    buf[:] = _input(24, 32, seed=2)
    np.testing.assert_allclose(np.array(backend.infer(buf)), reference(buf), atol=1e-5)
    assert not np.allclose(first, reference(buf))
    other = _input(24, 32, seed=5)  # and a different buffer of the same shape is not mistaken for the bound one
    np.testing.assert_allclose(np.array(backend.infer(other)), reference(other), atol=1e-5)


@pytest.mark.parametrize("cls", BACKENDS)
def test_a_failed_reload_keeps_the_previous_model(cls, tiny_static, tmp_path):
    backend = cls()
    backend.load(tiny_spec(), tiny_static, "cpu")
    bad = tmp_path / "broken.onnx"
    bad.write_bytes(tiny_static.read_bytes()[:100])
    with pytest.raises(ModelError):
        backend.load(tiny_spec(), bad, "cpu")
    x = _input(24, 32)
    np.testing.assert_allclose(np.asarray(backend.infer(x)), reference(x), atol=1e-5)
