"""ONNX Runtime's cancel(): a long call on the real runtime ends when another thread cancels it (RunOptions'
terminate flag), so the watchdog can end a hung inference instead of leaving its thread and session behind."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from studio.inference.runtimes.onnxruntime import OnnxRuntimeBackend
from studio.models.spec import ModelSpec

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper  # noqa: E402

SIDE = 384
NODES = 400  # each a 3x(SIDE x SIDE) @ (SIDE x SIDE) product: the whole call takes many seconds on one thread


def build_slow_model(path):
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, SIDE, SIDE])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, SIDE, SIDE])
    w = helper.make_tensor("w", TensorProto.FLOAT, [SIDE, SIDE], (np.eye(SIDE, dtype=np.float32)).ravel().tolist())
    nodes, prev = [], "x"
    for i in range(NODES):
        nodes.append(helper.make_node("MatMul", [prev, "w"], [f"m{i}"]))
        prev = f"m{i}"
    nodes.append(helper.make_node("ReduceMean", [prev], ["y"], axes=[1], keepdims=1))
    graph = helper.make_graph(nodes, "slow", [x], [y], initializer=[w])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(path))
    return path


def test_cancel_ends_a_running_call_from_another_thread(tmp_path):
    spec = ModelSpec(name="slow", kind="portrait", file="slow.onnx", licence="test", source="built in the test",
                     layout="NCHW", input_size=(SIDE, SIDE))
    be = OnnxRuntimeBackend(threads=1)
    # no graph optimisation could fold identity products away: the weights are identity, but ORT does not know it
    be.load(spec, build_slow_model(tmp_path / "slow.onnx"), "cpu")
    tensor = np.ones((1, 3, SIDE, SIDE), np.float32)
    outcome = {}
    started = threading.Event()

    def call():
        started.set()
        try:
            be.infer(tensor)
            outcome["result"] = "returned"
        except Exception as exc:  # noqa: BLE001 - what the worker sees
            outcome["result"] = f"raised: {exc}"

    t = threading.Thread(target=call, name="test-cancel")
    t.start()
    assert started.wait(10)
    be.cancel()
    t.join(30)
    assert not t.is_alive()
    assert outcome["result"].startswith("raised") and "terminate" in outcome["result"].lower()
    be.close()
