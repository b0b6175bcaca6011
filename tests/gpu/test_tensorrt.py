"""Native TensorRT on a real GPU: build, cache, reuse, rebuild when stale, dynamic profile, parity with ORT CPU."""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pytest

from studio.inference import open_segmenter
from studio.models import default_registry

pytestmark = pytest.mark.gpu


def _frame(w=640, h=480):
    rng = np.random.default_rng(0)
    img = np.full((h, w, 3), 40, np.uint8)
    img[h // 4: 3 * h // 4, w // 3: 2 * w // 3] = rng.integers(120, 255, (h // 2, w // 3, 3))
    return img


@pytest.mark.parametrize("model", ["selfie", "u2netp"])
def test_tensorrt_matches_the_cpu_reference(trt_gpu, model):
    cpu = open_segmenter(model, "onnxruntime", "cpu")
    trt = open_segmenter(model, "tensorrt", "cuda:0", backend_options={"tensorrt": {"precision": "fp32"}})
    try:
        a, b = cpu.segment(_frame()).alpha, trt.segment(_frame()).alpha
        assert a.shape == b.shape and np.abs(a - b).max() < 0.02
        assert trt.backend.info.extra["precision"] == "fp32"
    finally:
        cpu.close()
        trt.close()


def test_engine_is_cached_then_reused_and_a_stale_one_rebuilt(trt_gpu):
    first = open_segmenter("selfie", "tensorrt", "cuda:0")
    engine = first.backend.info.extra["engine"]
    assert first.backend.info.extra["cache"] == "built"
    first.close()
    second = open_segmenter("selfie", "tensorrt", "cuda:0")
    assert second.backend.info.extra["cache"] == "cached engine matches"
    second.close()
    sidecar = engine.replace("engine.plan", "engine.json")
    meta = json.loads(open(sidecar).read())
    meta["key"]["device"] = "cuda:0 some other GPU (sm_00)"
    open(sidecar, "w").write(json.dumps(meta))
    third = open_segmenter("selfie", "tensorrt", "cuda:0")
    assert third.backend.info.extra["cache"] == "built"
    third.close()


def _dynamic_net(path):
    """A small fully convolutional net with dynamic height and width (NCHW), sigmoid output."""
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)
    w0 = numpy_helper.from_array(rng.normal(0, 0.3, (8, 3, 3, 3)).astype(np.float32), "w0")
    w1 = numpy_helper.from_array(rng.normal(0, 0.3, (1, 8, 3, 3)).astype(np.float32), "w1")
    nodes = [helper.make_node("Conv", ["input", "w0"], ["c0"], pads=[1, 1, 1, 1], name="conv0"),
             helper.make_node("Relu", ["c0"], ["r0"], name="relu0"),
             helper.make_node("Conv", ["r0", "w1"], ["c1"], pads=[1, 1, 1, 1], name="conv1"),
             helper.make_node("Sigmoid", ["c1"], ["output"], name="sigmoid")]
    graph = helper.make_graph(nodes, "dyn", [helper.make_tensor_value_info("input", TensorProto.FLOAT,
                                                                            [1, 3, "h", "w"])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1, "h", "w"])],
                              [w0, w1])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def test_dynamic_model_moves_between_sizes_without_rebuilding(trt_gpu, tmp_path):
    from studio.models.spec import ModelSpec

    path = _dynamic_net(tmp_path / "dyn.onnx")
    spec = ModelSpec(name="dyn", kind="object", file=str(path), licence="MIT", source="test", embedded=False,
                     size_policy="dynamic", stride=32, target_area=512 * 384, activation="none")
    seg = open_segmenter(spec, "tensorrt", "cuda:0")
    try:
        profile = seg.backend.info.extra["profile"]
        assert profile.startswith("min=")
        sizes = {seg.segment(_frame(w, h)).input_size for w, h in ((640, 480), (1280, 720), (1920, 1080),
                                                                    (480, 640))}
        assert len(sizes) > 1  # the adaptive policy moved, the one engine followed
        assert seg.backend.info.extra["profile"] == profile
    finally:
        seg.close()


def test_mixed_plan_builds_strongly_typed(trt_gpu, tmp_path):
    from studio.inference.precision import apply_plan

    base = default_registry().get("selfie")
    path = tmp_path / "selfie-mixed.onnx"
    apply_plan(base.path(), path, "mixed")
    spec = dataclasses.replace(base, name="selfie-mixed", file=str(path), embedded=False, sha256="")
    seg = open_segmenter(spec, "tensorrt", "cuda:0")
    try:
        assert seg.backend.info.extra["precision"] == "mixed"
        assert seg.segment(_frame()).alpha.shape == (256, 256)
    finally:
        seg.close()


def test_auto_picks_tensorrt_on_a_gpu_box(trt_gpu):
    seg = open_segmenter("selfie", "auto", "auto")
    try:
        assert seg.report.chosen.name == "tensorrt", seg.report.reason
    finally:
        seg.close()
