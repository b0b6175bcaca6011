"""Precision plans on real ONNX graphs: a small conv net built here and the embedded selfie model."""

from __future__ import annotations

import dataclasses
import importlib.util

import cv2
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from studio.core.errors import StudioError
from studio.inference.precision import apply_plan, backend_options, plan_of, tail_nodes
from studio.models import default_registry
from studio.models.spec import ModelSpec

needs_fp16 = pytest.mark.skipif(importlib.util.find_spec("onnxconverter_common") is None,
                                reason="onnxconverter-common not installed (the [precision] extra)")
needs_nncf = pytest.mark.skipif(importlib.util.find_spec("nncf") is None,
                                reason="nncf not installed (the [precision] extra)")


def _tiny_net(path):
    """1x3x32x32 -> Conv(8) -> Relu -> Conv(8) -> Relu -> Conv(1) -> Resize x2 -> Sigmoid -> 1x1x64x64."""
    rng = np.random.default_rng(0)
    inits, nodes = [], []
    chans = [3, 8, 8, 1]
    x = "input"
    for i in range(3):
        w = rng.normal(0, 0.3, (chans[i + 1], chans[i], 3, 3)).astype(np.float32)
        b = rng.normal(0, 0.1, (chans[i + 1],)).astype(np.float32)
        inits += [numpy_helper.from_array(w, f"w{i}"), numpy_helper.from_array(b, f"b{i}")]
        nodes.append(helper.make_node("Conv", [x, f"w{i}", f"b{i}"], [f"c{i}"], name=f"conv{i}", pads=[1, 1, 1, 1]))
        x = f"c{i}"
        if i < 2:
            nodes.append(helper.make_node("Relu", [x], [f"r{i}"], name=f"relu{i}"))
            x = f"r{i}"
    inits.append(numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales"))
    nodes.append(helper.make_node("Resize", [x, "", "scales"], ["up"], name="resize", mode="linear"))
    nodes.append(helper.make_node("Sigmoid", ["up"], ["output"], name="sigmoid"))
    graph = helper.make_graph(nodes, "tiny", [helper.make_tensor_value_info("input", TensorProto.FLOAT,
                                                                             [1, 3, 32, 32])],
                              [helper.make_tensor_value_info("output", TensorProto.FLOAT, [1, 1, 64, 64])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def _run(path, x):
    import onnxruntime as ort

    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return sess.run(None, {sess.get_inputs()[0].name: x})[0]


def test_tail_nodes_by_depth(tmp_path):
    model = onnx.load(str(_tiny_net(tmp_path / "t.onnx")))
    assert tail_nodes(model.graph, 1) == ["sigmoid"]
    assert tail_nodes(model.graph, 3) == ["conv2", "resize", "sigmoid"]
    assert len(tail_nodes(model.graph, 99)) == len(model.graph.node)


@needs_fp16
def test_fp16_and_mixed_keep_float32_io_and_the_tail(tmp_path):
    src = _tiny_net(tmp_path / "t.onnx")
    x = np.random.default_rng(1).random((1, 3, 32, 32), np.float32)
    ref = _run(src, x)
    for plan in ("fp16", "mixed"):
        out = tmp_path / f"{plan}.onnx"
        done = apply_plan(src, out, plan, tail_depth=3)
        assert plan_of(out) == plan
        model = onnx.load(str(out))
        assert model.graph.input[0].type.tensor_type.elem_type == TensorProto.FLOAT
        assert model.graph.output[0].type.tensor_type.elem_type == TensorProto.FLOAT
        types = {i.name: i.data_type for i in model.graph.initializer}
        assert types["w0"] == TensorProto.FLOAT16  # the backbone is fp16 in both plans
        assert types["w2"] == (TensorProto.FLOAT16 if plan == "fp16" else TensorProto.FLOAT)  # the tail
        assert done["fp32_nodes"] == (0 if plan == "fp16" else 3)
        got = _run(out, x)
        assert got.dtype == np.float32 and np.abs(got - ref).max() < 5e-3


@needs_fp16
def test_mixed_plan_on_the_embedded_selfie_model(tmp_path):
    spec = default_registry().get("selfie")
    out = tmp_path / "selfie-mixed.onnx"
    done = apply_plan(spec.path(), out, "mixed")
    assert done["bytes_out"] < done["bytes_in"] * 0.7 and done["fp32_nodes"] > 0
    x = np.random.default_rng(2).random((1, 256, 256, 3), np.float32)
    assert np.abs(_run(out, x) - _run(spec.path(), x)).max() < 0.02


def _pictures(tmp_path, n=6):
    rng = np.random.default_rng(3)
    paths = []
    for i in range(n):
        p = tmp_path / f"cal{i}.png"
        cv2.imwrite(str(p), rng.integers(0, 255, (40, 48, 3), np.uint8))
        paths.append(p)
    return paths


@needs_nncf
def test_int8_plan_quantises_all_but_the_tail(tmp_path):
    src = _tiny_net(tmp_path / "t.onnx")
    spec = ModelSpec(name="tiny", kind="object", file=str(src), licence="MIT", source="test",
                     input_size=(32, 32), embedded=False)
    out = tmp_path / "int8.onnx"
    apply_plan(src, out, "int8", spec=spec, calibration=_pictures(tmp_path), tail_depth=2)
    model = onnx.load(str(out))
    ops = [n.op_type for n in model.graph.node]
    assert "QuantizeLinear" in ops and "DequantizeLinear" in ops
    assert plan_of(out) == "int8"
    x = np.random.default_rng(4).random((1, 3, 32, 32), np.float32)
    assert np.abs(_run(out, x) - _run(src, x)).max() < 0.1
    with pytest.raises(StudioError, match="calibration"):
        apply_plan(src, tmp_path / "x.onnx", "int8", spec=spec)


def test_bf16_is_a_runtime_hint(tmp_path):
    spec = default_registry().get("selfie")
    out = tmp_path / "selfie-bf16.onnx"
    apply_plan(spec.path(), out, "bf16")
    assert plan_of(out) == "bf16"
    assert onnx.load(str(out)).graph == onnx.load(str(spec.path())).graph
    from studio.inference import open_segmenter

    seg = open_segmenter(spec, "openvino", "cpu", backend_options=backend_options("bf16"))
    try:
        assert seg.backend.info.extra["precision"] in ("bf16", "f32")  # f32 where the CPU has no bf16 units
        assert seg.segment(np.zeros((64, 64, 3), np.uint8)).alpha.shape == (256, 256)
    finally:
        seg.close()
    assert backend_options("int8") == {}


def test_unknown_plan_and_same_file_are_refused(tmp_path):
    src = _tiny_net(tmp_path / "t.onnx")
    with pytest.raises(StudioError, match="unknown precision plan"):
        apply_plan(src, tmp_path / "o.onnx", "fp8")
    with pytest.raises(StudioError, match="another file"):
        apply_plan(src, src, "fp16")


def test_pick_default_rule():
    from studio.bench.precision import PlanRow, pick_default

    def row(plan, iou, ms):
        return PlanRow("m", plan, "b", iou, 0.7, 0.0, 0.0, ms, 10)

    rows = [row("fp32", 0.900, 100), row("fp16", 0.899, 97), row("int8", 0.890, 40), row("bf16", 0.898, 60)]
    assert pick_default(rows).plan == "bf16"  # int8 is faster but loses 1 IoU point; fp16 is within noise
    assert pick_default([rows[0], rows[1]]).plan == "fp32"
    assert dataclasses.asdict(rows[0])["plan"] == "fp32"


def test_a_models_default_plan_reaches_the_runtime():
    spec = default_registry().get("selfie")
    from studio.inference import open_segmenter

    planned = dataclasses.replace(spec, extra={**spec.extra, "precision": "bf16"})
    seg = open_segmenter(planned, "openvino", "cpu")
    try:
        assert seg.backend.precision == "bf16"
    finally:
        seg.close()
    plain = dataclasses.replace(spec, extra={k: v for k, v in spec.extra.items() if k != "precision"})
    seg = open_segmenter(plain, "openvino", "cpu")
    try:
        assert seg.backend.precision == "f32"
    finally:
        seg.close()
    seg = open_segmenter(planned, "openvino", "cpu", backend_options={})  # an explicit choice wins
    try:
        assert seg.backend.precision == "f32"
    finally:
        seg.close()
