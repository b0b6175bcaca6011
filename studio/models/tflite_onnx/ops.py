"""Translators from TFLite operators to ONNX nodes, one function per operator.

Covers exactly the operator set of MediaPipe's selfie segmentation models (plus the obvious variants of those ops:
fused activations, SAME/VALID padding, dilation, align_corners / half_pixel_centers). Anything else is reported as
unsupported rather than guessed at.
"""

from __future__ import annotations

import struct
from collections.abc import Callable

import numpy as np

from .builder import NHWC_AXIS_TO_NCHW, GraphBuilder, Layout
from .errors import UnsupportedOperatorError
from .reader import OperatorInfo

Translator = Callable[[GraphBuilder, OperatorInfo], None]

# TFLite enums (schema.fbs): Padding and ActivationFunctionType.
_PADDING_SAME, _PADDING_VALID = 0, 1
_ACT_NONE, _ACT_RELU, _ACT_RELU_N1_TO_1, _ACT_RELU6, _ACT_TANH = 0, 1, 2, 3, 4
_ACTIVATION_NAMES = {0: "NONE", 1: "RELU", 2: "RELU_N1_TO_1", 3: "RELU6", 4: "TANH", 5: "SIGN_BIT"}


# -- helpers ----------------------------------------------------------------------------------------------------------


def _require_float(b: GraphBuilder, op: OperatorInfo) -> None:
    for idx in (*op.inputs[:1], *op.outputs):
        if idx >= 0 and not b.tensor(idx).is_float32 and b.const(idx) is None:
            raise UnsupportedOperatorError([op.name], f"non-float32 tensor {b.tensor(idx).name!r}")


def _weights(b: GraphBuilder, op: OperatorInfo, position: int) -> np.ndarray:
    w = b.const(op.inputs[position])
    if w is None:
        raise UnsupportedOperatorError([op.name], "weights must be constant")
    return w.astype(np.float32, copy=False)


def _bias(b: GraphBuilder, op: OperatorInfo, position: int) -> np.ndarray | None:
    if len(op.inputs) <= position or op.inputs[position] < 0:
        return None
    bias = b.const(op.inputs[position])
    if bias is None:
        raise UnsupportedOperatorError([op.name], "bias must be constant")
    return bias.astype(np.float32, copy=False)


def _same_pads(in_size: int, kernel: int, stride: int, dilation: int) -> tuple[int, int]:
    """TensorFlow SAME padding: output = ceil(in / stride), the odd pixel goes after."""
    effective = (kernel - 1) * dilation + 1
    out = -(-in_size // stride)
    total = max((out - 1) * stride + effective - in_size, 0)
    return total // 2, total - total // 2


def _spatial_pads(
    op: OperatorInfo, padding: int, in_hw: tuple[int, int], k_hw: tuple[int, int], s_hw: tuple[int, int],
    d_hw: tuple[int, int] = (1, 1),
) -> list[int]:
    if padding == _PADDING_VALID:
        return [0, 0, 0, 0]
    if padding != _PADDING_SAME:
        raise UnsupportedOperatorError([op.name], f"padding mode {padding}")
    top, bottom = _same_pads(in_hw[0], k_hw[0], s_hw[0], d_hw[0])
    left, right = _same_pads(in_hw[1], k_hw[1], s_hw[1], d_hw[1])
    return [top, left, bottom, right]


class _Fused:
    """A main node's output plus its fused activation: ``node_output`` is what the main node writes; ``finish()``
    (called after the main node is emitted, to keep the graph topologically sorted) adds the activation."""

    def __init__(self, b: GraphBuilder, op: OperatorInfo, fused: int, out_index: int, layout: Layout) -> None:
        if fused not in (_ACT_NONE, _ACT_RELU, _ACT_RELU6, _ACT_RELU_N1_TO_1, _ACT_TANH):
            raise UnsupportedOperatorError([op.name], f"fused activation {_ACTIVATION_NAMES.get(fused, fused)}")
        self._b, self._op, self._fused = b, op, fused
        self._out = b.output_name(out_index, layout)
        self.node_output = self._out if fused == _ACT_NONE else b.fresh(f"{b.tensor(out_index).name}__preact")

    def finish(self) -> None:
        b, pre, out, fused = self._b, self.node_output, self._out, self._fused
        if fused == _ACT_RELU:
            b.node("Relu", [pre], [out])
        elif fused in (_ACT_RELU6, _ACT_RELU_N1_TO_1):
            lo, hi = (0.0, 6.0) if fused == _ACT_RELU6 else (-1.0, 1.0)
            lo_name = b.initializer(f"{self._op.name.lower()}_clip_min", np.array(lo, np.float32))
            hi_name = b.initializer(f"{self._op.name.lower()}_clip_max", np.array(hi, np.float32))
            b.node("Clip", [pre, lo_name, hi_name], [out])
        elif fused == _ACT_TANH:
            b.node("Tanh", [pre], [out])


def _hw(shape: tuple[int, ...]) -> tuple[int, int]:
    return shape[1], shape[2]


# -- convolutions -----------------------------------------------------------------------------------------------------


def conv_2d(b: GraphBuilder, op: OperatorInfo) -> None:
    _require_float(b, op)
    o = op.options
    w = _weights(b, op, 1)  # [out, kh, kw, in/groups]
    bias = _bias(b, op, 2)
    in_shape = b.shape(op.inputs[0])
    groups = in_shape[3] // w.shape[3]
    strides = (o.StrideH(), o.StrideW())
    dilations = (o.DilationHFactor(), o.DilationWFactor())
    pads = _spatial_pads(op, o.Padding(), _hw(in_shape), w.shape[1:3], strides, dilations)
    inputs = [b.value(op.inputs[0], Layout.NCHW), b.initializer(b.tensor(op.inputs[1]).name, w.transpose(0, 3, 1, 2))]
    if bias is not None:
        inputs.append(b.initializer(b.tensor(op.inputs[2]).name, bias))
    out = _Fused(b, op, o.FusedActivationFunction(), op.outputs[0], Layout.NCHW)
    b.node(
        "Conv", inputs, [out.node_output], kernel_shape=list(w.shape[1:3]), strides=list(strides),
        dilations=list(dilations), pads=pads, group=groups,
    )
    out.finish()


def depthwise_conv_2d(b: GraphBuilder, op: OperatorInfo) -> None:
    _require_float(b, op)
    o = op.options
    w = _weights(b, op, 1)  # [1, kh, kw, in * multiplier]
    bias = _bias(b, op, 2)
    in_shape = b.shape(op.inputs[0])
    kh, kw, out_c = w.shape[1], w.shape[2], w.shape[3]
    strides = (o.StrideH(), o.StrideW())
    dilations = (o.DilationHFactor(), o.DilationWFactor())
    pads = _spatial_pads(op, o.Padding(), _hw(in_shape), (kh, kw), strides, dilations)
    # Output channel c*multiplier+m reads input channel c: exactly ONNX grouped conv with group = input channels.
    w_onnx = w.reshape(kh, kw, out_c).transpose(2, 0, 1)[:, None, :, :]
    inputs = [b.value(op.inputs[0], Layout.NCHW), b.initializer(b.tensor(op.inputs[1]).name, w_onnx)]
    if bias is not None:
        inputs.append(b.initializer(b.tensor(op.inputs[2]).name, bias))
    out = _Fused(b, op, o.FusedActivationFunction(), op.outputs[0], Layout.NCHW)
    b.node(
        "Conv", inputs, [out.node_output], kernel_shape=[kh, kw], strides=list(strides), dilations=list(dilations),
        pads=pads, group=in_shape[3],
    )
    out.finish()


def conv_2d_transpose_bias(b: GraphBuilder, op: OperatorInfo) -> None:
    """MediaPipe's custom ``Convolution2DTransposeBias``: transposed convolution followed by a bias add."""
    _require_float(b, op)
    if len(op.custom_options) != 12:
        raise UnsupportedOperatorError([op.name], f"expected 12 bytes of custom options, got {len(op.custom_options)}")
    padding_code, stride_w, stride_h = struct.unpack("<3i", op.custom_options)
    # TfLitePadding (C API) numbering, not the schema's: 1 = SAME, 2 = VALID.
    if padding_code not in (1, 2):
        raise UnsupportedOperatorError([op.name], f"padding code {padding_code}")
    w = _weights(b, op, 1)  # [out, kh, kw, in]
    bias = _bias(b, op, 2)
    kh, kw = w.shape[1], w.shape[2]
    in_h, in_w = _hw(b.shape(op.inputs[0]))
    out_h, out_w = _hw(b.shape(op.outputs[0]))
    pads: list[int] = []
    output_padding: list[int] = []
    for in_size, out_size, k, s in ((in_h, out_h, kh, stride_h), (in_w, out_w, kw, stride_w)):
        total = (in_size - 1) * s + k - out_size
        # A full transposed conv is longer than the requested output: crop like TFLite (odd pixel at the end);
        # shorter (kernel < stride with SAME): the tail rows receive only the bias.
        pads.append(max(total, 0))
        output_padding.append(max(-total, 0))
    begin = [p // 2 for p in pads]
    end = [p - p // 2 for p in pads]
    inputs = [b.value(op.inputs[0], Layout.NCHW), b.initializer(b.tensor(op.inputs[1]).name, w.transpose(3, 0, 1, 2))]
    if bias is not None:
        inputs.append(b.initializer(b.tensor(op.inputs[2]).name, bias))
    attrs: dict[str, object] = {
        "kernel_shape": [kh, kw], "strides": [stride_h, stride_w], "pads": begin + end,
    }
    if any(output_padding):
        attrs["output_padding"] = output_padding
    b.node("ConvTranspose", inputs, [b.output_name(op.outputs[0], Layout.NCHW)], **attrs)


# -- pooling and reductions -------------------------------------------------------------------------------------------


def average_pool_2d(b: GraphBuilder, op: OperatorInfo) -> None:
    _require_float(b, op)
    o = op.options
    in_hw = _hw(b.shape(op.inputs[0]))
    k = (o.FilterHeight(), o.FilterWidth())
    s = (o.StrideH(), o.StrideW())
    x = b.value(op.inputs[0], Layout.NCHW)
    out = _Fused(b, op, o.FusedActivationFunction(), op.outputs[0], Layout.NCHW)
    if k == in_hw and o.Padding() == _PADDING_VALID:
        b.node("GlobalAveragePool", [x], [out.node_output])
    else:
        pads = _spatial_pads(op, o.Padding(), in_hw, k, s)
        # TFLite averages over the valid pixels only, never counting the SAME padding.
        b.node(
            "AveragePool", [x], [out.node_output], kernel_shape=list(k), strides=list(s), pads=pads,
            count_include_pad=0,
        )
    out.finish()


def mean(b: GraphBuilder, op: OperatorInfo) -> None:
    _require_float(b, op)
    axes_const = b.const(op.inputs[1])
    if axes_const is None:
        raise UnsupportedOperatorError([op.name], "axes must be constant")
    in_shape = b.shape(op.inputs[0])
    rank = len(in_shape)
    axes = sorted({int(a) % rank for a in np.atleast_1d(axes_const)})
    keep_dims = bool(op.options.KeepDims()) if op.options is not None else False
    if rank == 4 and keep_dims and axes == [1, 2]:
        b.node("GlobalAveragePool", [b.value(op.inputs[0], Layout.NCHW)], [b.output_name(op.outputs[0], Layout.NCHW)])
        return
    if rank == 4 and keep_dims and set(axes) <= {1, 2, 3}:
        layout = Layout.NCHW
        axes = [NHWC_AXIS_TO_NCHW[a] for a in axes]
    else:
        layout = Layout.NATIVE
    x = b.value(op.inputs[0], layout)
    out = b.output_name(op.outputs[0], layout)
    if b.opset >= 18:
        axes_name = b.initializer(f"{b.tensor(op.inputs[1]).name}", np.array(axes, np.int64))
        b.node("ReduceMean", [x, axes_name], [out], keepdims=int(keep_dims))
    else:
        b.node("ReduceMean", [x], [out], axes=axes, keepdims=int(keep_dims))



# -- elementwise ------------------------------------------------------------------------------------------------------


def _binary(onnx_op: str, numpy_op: Callable[[np.ndarray, np.ndarray], np.ndarray]) -> Translator:
    def translate(b: GraphBuilder, op: OperatorInfo) -> None:
        _require_float(b, op)
        fused = op.options.FusedActivationFunction() if op.options is not None else _ACT_NONE
        a_idx, c_idx = op.inputs[0], op.inputs[1]
        a_const, c_const = b.const(a_idx), b.const(c_idx)
        if a_const is not None and c_const is not None:
            if fused != _ACT_NONE:
                raise UnsupportedOperatorError([op.name], "constant folding with a fused activation")
            b.set_const(op.outputs[0], numpy_op(a_const, c_const).astype(np.float32))
            return
        out_rank = len(b.shape(op.outputs[0]))
        dynamic = [i for i, c in ((a_idx, a_const), (c_idx, c_const)) if c is None]
        layout = Layout.NCHW if out_rank == 4 and all(len(b.shape(i)) == 4 for i in dynamic) else Layout.NATIVE
        names = []
        for idx, const in ((a_idx, a_const), (c_idx, c_const)):
            if const is None:
                names.append(b.value(idx, layout))
            else:
                arr = const.astype(np.float32)
                if layout is Layout.NCHW:
                    # Right-aligned numpy broadcasting in NHWC becomes a full-rank NCHW constant.
                    arr = arr.reshape((1,) * (4 - arr.ndim) + arr.shape).transpose(0, 3, 1, 2)
                names.append(b.initializer(b.tensor(idx).name, arr))
        out = _Fused(b, op, fused, op.outputs[0], layout)
        b.node(onnx_op, names, [out.node_output])
        out.finish()

    return translate


def _unary(onnx_op: str) -> Translator:
    def translate(b: GraphBuilder, op: OperatorInfo) -> None:
        _require_float(b, op)
        layout = b.preferred_layout(op.inputs[0])
        b.node(onnx_op, [b.value(op.inputs[0], layout)], [b.output_name(op.outputs[0], layout)])

    return translate


def hard_swish(b: GraphBuilder, op: OperatorInfo) -> None:
    _require_float(b, op)
    layout = b.preferred_layout(op.inputs[0])
    x = b.value(op.inputs[0], layout)
    out = b.output_name(op.outputs[0], layout)
    if b.opset >= 14:
        b.node("HardSwish", [x], [out])
    else:
        gate = b.fresh(f"{b.tensor(op.outputs[0]).name}__gate")
        b.node("HardSigmoid", [x], [gate], alpha=1.0 / 6.0, beta=0.5)
        b.node("Mul", [x, gate], [out])


# -- resampling -------------------------------------------------------------------------------------------------------


def resize_bilinear(b: GraphBuilder, op: OperatorInfo) -> None:
    _require_float(b, op)
    size = b.const(op.inputs[1])
    if size is None:
        raise UnsupportedOperatorError([op.name], "output size must be constant")
    o = op.options
    align_corners = bool(o.AlignCorners()) if o is not None else False
    half_pixel = bool(o.HalfPixelCenters()) if o is not None else False
    if align_corners:
        mode = "align_corners"
    elif half_pixel:
        # TF's half-pixel bilinear clamps source coordinates to the image, as ONNX runtimes do for half_pixel.
        mode = "half_pixel"
    else:
        mode = "asymmetric"
    n, _, _, c = b.shape(op.inputs[0])
    sizes = b.initializer(f"{b.tensor(op.inputs[1]).name}", np.array([n, c, int(size[0]), int(size[1])], np.int64))
    b.node(
        "Resize", [b.value(op.inputs[0], Layout.NCHW), "", "", sizes], [b.output_name(op.outputs[0], Layout.NCHW)],
        mode="linear", coordinate_transformation_mode=mode,
    )


# -- quantisation -----------------------------------------------------------------------------------------------------


def dequantize(b: GraphBuilder, op: OperatorInfo) -> None:
    src = b.tensor(op.inputs[0])
    data = b.const(op.inputs[0])
    if data is not None:
        # Weight storage trick (float16 or int8 weights): fold to float32 so the ONNX graph has no dequantize work.
        if data.dtype == np.float16:
            b.set_const(op.outputs[0], data.astype(np.float32))
            return
        q = src.quantization
        if q is not None and data.dtype in (np.int8, np.uint8, np.int16, np.int32):
            shape = [1] * data.ndim
            if q.scale.size > 1:
                shape[q.axis] = q.scale.size
            scale = q.scale.reshape(shape)
            zero_point = q.zero_point.reshape(shape)
            b.set_const(op.outputs[0], ((data.astype(np.int64) - zero_point) * scale).astype(np.float32))
            return
        raise UnsupportedOperatorError([op.name], f"constant input of type {data.dtype}")
    if src.type_code == 1:
        layout = b.preferred_layout(op.inputs[0])
        b.node("Cast", [b.value(op.inputs[0], layout)], [b.output_name(op.outputs[0], layout)], to=1)
        return
    raise UnsupportedOperatorError([op.name], "dequantizing activations at run time")


BUILTIN_TRANSLATORS: dict[str, Translator] = {
    "CONV_2D": conv_2d,
    "DEPTHWISE_CONV_2D": depthwise_conv_2d,
    "ADD": _binary("Add", np.add),
    "MUL": _binary("Mul", np.multiply),
    "RELU": _unary("Relu"),
    "LOGISTIC": _unary("Sigmoid"),
    "HARD_SWISH": hard_swish,
    "AVERAGE_POOL_2D": average_pool_2d,
    "MEAN": mean,
    "RESIZE_BILINEAR": resize_bilinear,
    "DEQUANTIZE": dequantize,
}

CUSTOM_TRANSLATORS: dict[str, Translator] = {
    "Convolution2DTransposeBias": conv_2d_transpose_bias,
}


def translator_for(op: OperatorInfo) -> Translator | None:
    # Separate tables so a custom op that happens to be called "CONV_2D" is never mistaken for the builtin.
    return (CUSTOM_TRANSLATORS if op.is_custom else BUILTIN_TRANSLATORS).get(op.name)
