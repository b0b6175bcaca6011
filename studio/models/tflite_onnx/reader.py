"""Read a TFLite flatbuffer into plain dataclasses (via the PyPI ``tflite`` package).

Everything downstream works on these dataclasses, so the flatbuffer API (and its quirks, such as the split between
``builtin_code`` and ``deprecated_builtin_code``) stays in this one module.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import InvalidModelError

# TensorType enum values from the TFLite schema; only those that can carry constant data we may need.
_NUMPY_DTYPES: dict[int, np.dtype] = {
    0: np.dtype("<f4"),  # FLOAT32
    1: np.dtype("<f2"),  # FLOAT16
    2: np.dtype("<i4"),  # INT32
    3: np.dtype("u1"),  # UINT8
    4: np.dtype("<i8"),  # INT64
    6: np.dtype("?"),  # BOOL
    7: np.dtype("<i2"),  # INT16
    9: np.dtype("i1"),  # INT8
    10: np.dtype("<f8"),  # FLOAT64
}

CUSTOM_BUILTIN_CODE = 32
# Builtin codes above 127 do not fit the int8 legacy field; readers must take the larger of the two fields.
_PLACEHOLDER_FOR_GREATER_OP_CODES = 127


@dataclass(frozen=True)
class Quantization:
    scale: np.ndarray
    zero_point: np.ndarray
    axis: int


@dataclass(frozen=True)
class TensorInfo:
    index: int
    name: str
    shape: tuple[int, ...]
    type_code: int
    data: np.ndarray | None = field(default=None, repr=False)
    quantization: Quantization | None = field(default=None, repr=False)

    @property
    def is_float32(self) -> bool:
        return self.type_code == 0


@dataclass(frozen=True)
class OperatorInfo:
    index: int
    name: str
    """Builtin operator name (``CONV_2D``) or, for custom operators, the custom code."""
    is_custom: bool
    inputs: tuple[int, ...]
    """Tensor indices; -1 marks an omitted optional input (e.g. a convolution without bias)."""
    outputs: tuple[int, ...]
    options: Any = field(default=None, repr=False)
    """The builtin options table as a ``tflite`` package object (``Conv2DOptions`` ...), or None."""
    custom_options: bytes = b""


@dataclass(frozen=True)
class TFLiteGraph:
    tensors: tuple[TensorInfo, ...]
    operators: tuple[OperatorInfo, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    schema_version: int


def builtin_operator_names() -> dict[int, str]:
    import tflite

    return {v: k for k, v in vars(tflite.BuiltinOperator).items() if not k.startswith("_") and isinstance(v, int)}


def _builtin_options_classes() -> dict[int, type]:
    import tflite

    classes: dict[int, type] = {}
    for name, code in vars(tflite.BuiltinOptions).items():
        if name.startswith("_") or not isinstance(code, int):
            continue
        cls = getattr(tflite, name, None)
        if isinstance(cls, type):
            classes[code] = cls
    return classes


def _tensor_data(model: Any, buf: bytes, tensor: Any, shape: tuple[int, ...]) -> np.ndarray | None:
    buffer = model.Buffers(tensor.Buffer())
    if buffer is None:
        return None
    dtype = _NUMPY_DTYPES.get(tensor.Type())
    if buffer.DataLength() > 0:
        raw = buffer.DataAsNumpy().tobytes()
    elif buffer.Offset() > 1:
        # Models over 2 GB keep buffers after the flatbuffer, addressed by absolute offset.
        raw = buf[buffer.Offset() : buffer.Offset() + buffer.Size()]
    else:
        return None
    if dtype is None:
        raise InvalidModelError(f"tensor {tensor.Name()!r} holds constant data of unsupported type {tensor.Type()}")
    return np.frombuffer(raw, dtype=dtype).reshape(shape).copy()


def _quantization(tensor: Any) -> Quantization | None:
    q = tensor.Quantization()
    if q is None or q.ScaleLength() == 0:
        return None
    zero_point = q.ZeroPointAsNumpy() if q.ZeroPointLength() else np.zeros(q.ScaleLength(), np.int64)
    return Quantization(
        scale=np.asarray(q.ScaleAsNumpy(), np.float32),
        zero_point=np.asarray(zero_point, np.int64),
        axis=int(q.QuantizedDimension()),
    )


def read_tflite(buf: bytes) -> TFLiteGraph:
    """Parse a TFLite flatbuffer (first subgraph only: the models we convert have exactly one)."""
    import tflite

    if len(buf) < 8 or buf[4:8] != b"TFL3":
        raise InvalidModelError("not a TFLite flatbuffer (missing 'TFL3' file identifier)")
    try:
        return _read(tflite, buf)
    except InvalidModelError:
        raise
    except Exception as exc:  # a corrupt flatbuffer fails with whatever struct/index error it happens to hit
        raise InvalidModelError(f"corrupt TFLite flatbuffer: {type(exc).__name__}: {exc}") from exc


def _read(tflite: Any, buf: bytes) -> TFLiteGraph:
    model = tflite.Model.GetRootAsModel(buf, 0)
    if model.SubgraphsLength() != 1:
        raise InvalidModelError(f"expected exactly one subgraph, found {model.SubgraphsLength()}")
    graph = model.Subgraphs(0)
    names = builtin_operator_names()
    option_classes = _builtin_options_classes()

    tensors = []
    for i in range(graph.TensorsLength()):
        t = graph.Tensors(i)
        shape = tuple(int(d) for d in t.ShapeAsNumpy()) if t.ShapeLength() else ()
        tensors.append(
            TensorInfo(
                index=i,
                name=t.Name().decode("utf-8"),
                shape=shape,
                type_code=int(t.Type()),
                data=_tensor_data(model, buf, t, shape),
                quantization=_quantization(t),
            )
        )

    operators = []
    for i in range(graph.OperatorsLength()):
        op = graph.Operators(i)
        code = model.OperatorCodes(op.OpcodeIndex())
        builtin = max(int(code.BuiltinCode()), int(code.DeprecatedBuiltinCode()))
        is_custom = builtin == CUSTOM_BUILTIN_CODE
        if is_custom:
            custom = code.CustomCode()
            name = custom.decode("utf-8") if custom else "CUSTOM"
        else:
            name = names.get(builtin, f"BUILTIN_{builtin}")
        options = None
        table = op.BuiltinOptions()
        cls = option_classes.get(int(op.BuiltinOptionsType()))
        if table is not None and cls is not None:
            options = cls()
            options.Init(table.Bytes, table.Pos)
        custom_options = op.CustomOptionsAsNumpy().tobytes() if op.CustomOptionsLength() else b""
        operators.append(
            OperatorInfo(
                index=i,
                name=name,
                is_custom=is_custom,
                inputs=tuple(int(x) for x in op.InputsAsNumpy()) if op.InputsLength() else (),
                outputs=tuple(int(x) for x in op.OutputsAsNumpy()) if op.OutputsLength() else (),
                options=options,
                custom_options=custom_options,
            )
        )

    return TFLiteGraph(
        tensors=tuple(tensors),
        operators=tuple(operators),
        inputs=tuple(int(x) for x in graph.InputsAsNumpy()),
        outputs=tuple(int(x) for x in graph.OutputsAsNumpy()),
        schema_version=int(model.Version()),
    )
