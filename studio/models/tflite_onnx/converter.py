"""Top-level conversion: read the TFLite file, translate every operator, wrap the ONNX model, check and save it."""

from __future__ import annotations

import hashlib
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .builder import NCHW_TO_NHWC, GraphBuilder, Layout
from .errors import ConversionError, InvalidModelError, UnsupportedOperatorError
from .ops import translator_for
from .reader import TFLiteGraph, read_tflite

CONVERTER_NAME = "studio.models.tflite_onnx"
# Bump when a change alters the bytes of converted models, so vendored files can be told apart.
CONVERTER_VERSION = "1"
MIN_OPSET = 13


@dataclass(frozen=True)
class TensorSpec:
    name: str
    shape: tuple[int, ...]
    dtype: str = "float32"


@dataclass(frozen=True)
class ConversionReport:
    source: Path
    destination: Path
    opset: int
    tflite_op_counts: dict[str, int]
    onnx_op_counts: dict[str, int]
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    source_sha256: str
    output_sha256: str
    converter: str = field(default=f"{CONVERTER_NAME} v{CONVERTER_VERSION}")

    def summary(self) -> str:
        def specs(items: tuple[TensorSpec, ...]) -> str:
            return ", ".join(f"{t.name} {'x'.join(map(str, t.shape))} {t.dtype}" for t in items)

        def counts(c: dict[str, int]) -> str:
            return ", ".join(f"{k} {v}" for k, v in c.items())

        return "\n".join(
            [
                f"converted {self.source} -> {self.destination} (ONNX opset {self.opset}, {self.converter})",
                f"  inputs:  {specs(self.inputs)}",
                f"  outputs: {specs(self.outputs)}",
                f"  TFLite ops ({sum(self.tflite_op_counts.values())}): {counts(self.tflite_op_counts)}",
                f"  ONNX nodes ({sum(self.onnx_op_counts.values())}): {counts(self.onnx_op_counts)}",
                f"  sha256 source {self.source_sha256}",
                f"  sha256 output {self.output_sha256}",
            ]
        )


def _check_supported(graph: TFLiteGraph) -> None:
    missing = [op.name for op in graph.operators if translator_for(op) is None]
    if missing:
        raise UnsupportedOperatorError(sorted(set(missing)))


def _io_specs(graph: TFLiteGraph, indices: tuple[int, ...]) -> tuple[TensorSpec, ...]:
    return tuple(TensorSpec(graph.tensors[i].name, graph.tensors[i].shape) for i in indices)


def build_model(graph: TFLiteGraph, *, opset: int, source_sha256: str):  # -> onnx.ModelProto
    from onnx import TensorProto, helper

    if opset < MIN_OPSET:
        raise ConversionError(f"opset {opset} is too old; the converter needs {MIN_OPSET} or newer")
    _check_supported(graph)
    for idx in (*graph.inputs, *graph.outputs):
        t = graph.tensors[idx]
        if not t.is_float32:
            raise ConversionError(f"model I/O tensor {t.name!r} is not float32")
        if any(d <= 0 for d in t.shape):
            raise ConversionError(f"model I/O tensor {t.name!r} has a dynamic shape {t.shape}")

    b = GraphBuilder(graph, opset)
    for idx in graph.inputs:
        b.bind(idx, Layout.NATIVE, graph.tensors[idx].name)
    for op in graph.operators:
        translator = translator_for(op)
        assert translator is not None  # _check_supported guarantees it
        translator(b, op)

    for idx in graph.outputs:
        t = graph.tensors[idx]
        if b.const(idx) is not None and not b.layouts(idx):
            raise ConversionError(f"output {t.name!r} is a constant; nothing to convert")
        available = b.layouts(idx)
        if Layout.NATIVE in available:
            b.node("Identity", [available[Layout.NATIVE]], [t.name])
        else:
            b.node("Transpose", [available[Layout.NCHW]], [t.name], perm=list(NCHW_TO_NHWC))

    def value_infos(indices: tuple[int, ...]) -> list:
        return [
            helper.make_tensor_value_info(graph.tensors[i].name, TensorProto.FLOAT, list(graph.tensors[i].shape))
            for i in indices
        ]

    onnx_graph = helper.make_graph(
        b.nodes, "tflite_graph", value_infos(graph.inputs), value_infos(graph.outputs), initializer=b.initializers
    )
    opsets = [helper.make_opsetid("", opset)]
    model = helper.make_model(
        onnx_graph,
        opset_imports=opsets,
        producer_name=CONVERTER_NAME,
        producer_version=CONVERTER_VERSION,
        # The oldest IR that can carry this opset, so older runtimes on edge boxes still load the file.
        ir_version=helper.find_min_ir_version_for(opsets),
    )
    helper.set_model_props(model, {"source_format": "tflite", "source_sha256": source_sha256})
    return model


def convert_tflite_to_onnx(src: Path, dst: Path, *, opset: int = 17) -> ConversionReport:
    """Convert a float TFLite model to ONNX, keeping its NHWC I/O contract (NCHW inside).

    Deterministic: the same input bytes and opset always give the same output bytes.
    """
    import onnx

    src, dst = Path(src), Path(dst)
    try:
        data = src.read_bytes()
    except OSError as exc:
        raise InvalidModelError(f"cannot read {src}: {exc.strerror or exc}") from exc
    source_sha256 = hashlib.sha256(data).hexdigest()
    graph = read_tflite(data)
    model = build_model(graph, opset=opset, source_sha256=source_sha256)
    onnx.checker.check_model(model, full_check=True)
    payload = model.SerializeToString(deterministic=True)

    # Written next to the destination and renamed, so a crash never leaves a truncated model behind; the file gets
    # the usual permissions (umask), and a full or read-only disk is a WriteError naming dst.
    from studio.core.atomic import write_bytes_atomic

    write_bytes_atomic(dst, payload)

    return ConversionReport(
        source=src,
        destination=dst,
        opset=opset,
        tflite_op_counts=dict(sorted(Counter(op.name for op in graph.operators).items())),
        onnx_op_counts=dict(sorted(Counter(n.op_type for n in model.graph.node).items())),
        inputs=_io_specs(graph, graph.inputs),
        outputs=_io_specs(graph, graph.outputs),
        source_sha256=source_sha256,
        output_sha256=hashlib.sha256(payload).hexdigest(),
    )


__all__ = ["ConversionReport", "TensorSpec", "build_model", "convert_tflite_to_onnx"]
