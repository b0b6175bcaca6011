"""`studio bench [models]` end to end with real runtimes: a tiny registry built here, and the embedded models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from studio.bench.models import ModelBenchRow, add_ratios, format_table, parse_size
from studio.cli import cmd_bench
from studio.cli.main import build_parser, main

onnx = pytest.importorskip("onnx")
from onnx import TensorProto, helper  # noqa: E402

ROW_FIELDS = {"model", "backend", "frame", "runtime", "version", "device", "notes", "input_size", "load_ms",
              "first_ms", "total_p50_ms", "total_p95_ms", "infer_p50_ms", "infer_p95_ms", "pre_p50_ms", "post_p50_ms",
              "cpu_p50_ms",
              "runs", "ratio", "error"}

TOML = """
[models.tiny-fixed]
kind = "portrait"
file = "tiny_fixed.onnx"
licence = "test"
source = "built by the test"
layout = "NCHW"
input_size = [32, 24]

[models.tiny-dynamic]
kind = "object"
file = "tiny_dynamic.onnx"
licence = "test"
source = "built by the test"
layout = "NCHW"
size_policy = "dynamic"
stride = 16
target_area = 19200
activation = "sigmoid"

[models.absent]
kind = "object"
file = "absent.onnx"
licence = "test"
source = "nowhere"
"""


def _model(path: Path, h, w) -> None:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, h, w])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, h, w])
    axes = helper.make_tensor("axes", TensorProto.INT64, [1], [1])
    graph = helper.make_graph([helper.make_node("ReduceMean", ["x", "axes"], ["y"], keepdims=1)], "tiny", [x], [y],
                              initializer=[axes])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)])
    model.ir_version = 8
    onnx.save(model, str(path))


@pytest.fixture
def tiny_resources(tmp_path, monkeypatch) -> Path:
    models = tmp_path / "resources" / "models"
    models.mkdir(parents=True)
    (models / "models.toml").write_text(TOML, encoding="utf-8")
    _model(models / "tiny_fixed.onnx", 24, 32)
    _model(models / "tiny_dynamic.onnx", "h", "w")
    monkeypatch.setenv("STUDIO_RESOURCES_DIR", str(tmp_path / "resources"))
    return models


def _run(capsys, *argv) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def test_bench_json_end_to_end_on_a_tiny_registry(tiny_resources, capsys, tmp_path):
    out_file = tmp_path / "res" / "bench.json"
    code, out = _run(capsys, "bench", "--json", "--models", "tiny-fixed,tiny-dynamic",
                     "--backends", "onnxruntime,openvino", "--sizes", "160x120,640x480", "--runs", "3",
                     "--warmup", "1", "--out", str(out_file))
    assert code == 0
    data = json.loads(out)
    assert data == json.loads(out_file.read_text())
    assert data["bench"] == "models" and data["meta"]["runs"] == 3 and data["meta"]["warmup"] == 1
    rows = data["rows"]
    assert len(rows) == 2 * 2 * 2
    for r in rows:
        assert set(r) == ROW_FIELDS
        assert r["error"] is None, r
        assert r["runtime"] == r["backend"] and r["device"] == "cpu" and r["runs"] == 3
        assert r["load_ms"] > 0 and r["first_ms"] > 0
        assert 0 < r["total_p50_ms"] <= r["total_p95_ms"]
        assert 0 < r["infer_p50_ms"] <= r["total_p50_ms"] and r["cpu_p50_ms"] >= 0
    by = {(r["model"], r["backend"], r["frame"]): r for r in rows}
    # Fixed models always see their own size; the dynamic one follows the frame (scaled to its target area).
    assert {by[("tiny-fixed", b, f)]["input_size"] for b in ("onnxruntime", "openvino")
            for f in ("160x120", "640x480")} == {"32x24"}
    assert by[("tiny-dynamic", "openvino", "160x120")]["input_size"] == "160x112"
    assert by[("tiny-dynamic", "openvino", "640x480")]["input_size"] == "160x128"
    for model in ("tiny-fixed", "tiny-dynamic"):
        ratios = [r["ratio"] for r in rows if r["model"] == model]
        assert min(ratios) == pytest.approx(1.0) and all(x >= 1.0 for x in ratios)


def test_bench_models_subcommand_and_table(tiny_resources, capsys):
    code, out = _run(capsys, "bench", "models", "--models", "tiny-fixed,absent", "--backends",
                     "onnxruntime,tensorrt", "--sizes", "64x48", "--runs", "2", "--warmup", "0")
    assert code == 0  # some rows ran
    assert "tiny-fixed" in out and "onnxruntime" in out
    assert "unavailable: TensorRT" in out or "unavailable: this build" in out
    assert "unavailable: model file for 'absent' is missing" in out


def test_bench_fails_when_nothing_could_run(tiny_resources, capsys):
    code, out = _run(capsys, "bench", "--json", "--models", "absent", "--backends", "onnxruntime", "--sizes",
                     "64x48", "--runs", "1")
    assert code == 1
    (row,) = json.loads(out)["rows"]
    assert row["error"] and row["total_p50_ms"] is None


def test_bench_json_on_an_embedded_model(capsys):
    from studio.models import default_registry

    if not default_registry().status("selfie-landscape").present:
        pytest.skip("embedded model selfie-landscape is not vendored in resources/models yet")
    code, out = _run(capsys, "bench", "--json", "--models", "selfie-landscape", "--sizes", "640x480",
                     "--runs", "2", "--warmup", "1")
    assert code == 0
    rows = json.loads(out)["rows"]
    assert {r["backend"] for r in rows} >= {"onnxruntime", "openvino"}
    for r in rows:
        if r["backend"] in ("onnxruntime", "openvino"):
            assert r["error"] is None and r["input_size"] == "256x144"


def test_arguments_are_checked():
    parser = build_parser()
    for bad in (["bench", "--sizes", "640by480"], ["bench", "--sizes", "0x480"], ["bench", "--runs", "0"],
                ["bench", "models", "--warmup", "-1"]):
        with pytest.raises(SystemExit):
            parser.parse_args(bad)
    assert parse_size("1280X720") == (1280, 720)
    args = parser.parse_args(["bench", "--sizes", "640x480,1920x1080", "--models", "a, b"])
    assert args.sizes == [(640, 480), (1920, 1080)] and args.models == ["a", "b"]


def test_bare_bench_is_the_first_registered_bench():
    parser = build_parser()
    bare = parser.parse_args(["bench", "--runs", "7"])
    named = parser.parse_args(["bench", "models", "--runs", "7"])
    assert bare.func is named.func
    assert bare.runs == named.runs == 7
    for name in cmd_bench.BENCHES:  # every plug-in module provides the hook
        import importlib

        assert callable(importlib.import_module(name).register)


def test_ratios_and_table_formatting():
    rows = [ModelBenchRow("m", "a", "640x480", total_p50_ms=10.0), ModelBenchRow("m", "b", "640x480",
                                                                                   total_p50_ms=25.0),
            ModelBenchRow("n", "a", "640x480", total_p50_ms=4.0), ModelBenchRow("n", "b", "640x480", error="boom")]
    add_ratios(rows)
    assert [r.ratio for r in rows] == [1.0, 2.5, 1.0, None]
    table = format_table(rows)
    assert "2.50" in table and "unavailable: boom" in table
