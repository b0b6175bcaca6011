"""ONNX graph assembly for the converter: names, layouts, constants and nodes.

TFLite activations are NHWC. ONNX runtimes are fastest in NCHW, so every rank-4 activation is kept channels-first
inside the graph and the builder inserts (and caches) a Transpose only where an op needs the other layout; the model
edges are transposed back so the ONNX file keeps the TFLite I/O contract.
"""

from __future__ import annotations

from collections import Counter
from enum import Enum
from typing import Any

import numpy as np

from .reader import TensorInfo, TFLiteGraph

NHWC_TO_NCHW = (0, 3, 1, 2)
NCHW_TO_NHWC = (0, 2, 3, 1)
NHWC_AXIS_TO_NCHW = {0: 0, 1: 2, 2: 3, 3: 1}


class Layout(Enum):
    NATIVE = "native"
    """As in the TFLite file (NHWC for rank-4 tensors)."""
    NCHW = "nchw"


class GraphBuilder:
    def __init__(self, graph: TFLiteGraph, opset: int) -> None:
        from onnx import helper

        self._helper = helper
        self.graph = graph
        self.opset = opset
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self._used_names: set[str] = set()
        self._node_counter: Counter[str] = Counter()
        # tensor index -> {layout: onnx value name}
        self._values: dict[int, dict[Layout, str]] = {}
        self._consts: dict[int, np.ndarray] = {}
        self._graph_outputs = set(graph.outputs)
        for t in graph.tensors:
            if t.data is not None:
                self._consts[t.index] = t.data
            self._used_names.add(t.name)

    # -- tensors --------------------------------------------------------------------------------------------------

    def tensor(self, index: int) -> TensorInfo:
        return self.graph.tensors[index]

    def shape(self, index: int) -> tuple[int, ...]:
        return self.graph.tensors[index].shape

    def const(self, index: int) -> np.ndarray | None:
        """Constant value of a TFLite tensor (raw or folded), or None for activations."""
        return self._consts.get(index)

    def set_const(self, index: int, value: np.ndarray) -> None:
        self._consts[index] = value

    def layouts(self, index: int) -> dict[Layout, str]:
        return self._values.get(index, {})

    def preferred_layout(self, index: int) -> Layout:
        available = self._values.get(index)
        if not available:
            raise KeyError(f"tensor {self.tensor(index).name!r} is used before it is produced")
        return Layout.NCHW if Layout.NCHW in available else Layout.NATIVE

    def value(self, index: int, layout: Layout) -> str:
        """ONNX name of a TFLite activation in the requested layout, transposing (once) if needed."""
        available = self._values.get(index)
        if not available:
            if index in self._consts:
                return self.initializer(self.tensor(index).name, self._const_in_layout(index, layout))
            raise KeyError(f"tensor {self.tensor(index).name!r} is used before it is produced")
        if layout in available:
            return available[layout]
        if len(self.shape(index)) != 4:
            raise ValueError(f"layout {layout} requested for rank-{len(self.shape(index))} tensor")
        src_layout, src = next(iter(available.items()))
        perm = NHWC_TO_NCHW if layout is Layout.NCHW else NCHW_TO_NHWC
        name = self.fresh(f"{self.tensor(index).name}__{layout.value}")
        self.node("Transpose", [src], [name], perm=list(perm))
        available[layout] = name
        return name

    def _const_in_layout(self, index: int, layout: Layout) -> np.ndarray:
        arr = self._consts[index]
        if layout is Layout.NCHW and arr.ndim == 4:
            return np.ascontiguousarray(arr.transpose(NHWC_TO_NCHW))
        return arr

    def bind(self, index: int, layout: Layout, name: str) -> None:
        self._values.setdefault(index, {})[layout] = name

    def output_name(self, index: int, layout: Layout) -> str:
        """Name to give the ONNX value that carries a TFLite tensor, and record it.

        Graph outputs get an internal name; the final edge node writes the TFLite name.
        """
        base = self.tensor(index).name
        name = self.fresh(f"{base}__{layout.value}") if index in self._graph_outputs else base
        self.bind(index, layout, name)
        return name

    # -- ONNX pieces ----------------------------------------------------------------------------------------------

    def fresh(self, hint: str) -> str:
        name, n = hint, 1
        while name in self._used_names:
            n += 1
            name = f"{hint}_{n}"
        self._used_names.add(name)
        return name

    def initializer(self, hint: str, value: np.ndarray) -> str:
        from onnx import numpy_helper

        name = self.fresh(hint)
        self.initializers.append(numpy_helper.from_array(np.ascontiguousarray(value), name))
        return name

    def node(self, op_type: str, inputs: list[str], outputs: list[str], **attrs: Any) -> None:
        self._node_counter[op_type] += 1
        name = f"{op_type}_{self._node_counter[op_type]}"
        self.nodes.append(self._helper.make_node(op_type, inputs, outputs, name=name, **attrs))
