"""Precision plans: the same model at lower precision, for `studio models precision IN.onnx OUT.onnx --plan P`.

Plans (names are what the CLI takes):
  fp32   the model as it is (the reference every plan is measured against).
  fp16   every float tensor fp16 (onnxconverter-common's float16 conversion); inputs and outputs stay fp32, so
         Studio feeds it like the original. Half the file; fast where the device has fp16 units (GPUs, NPUs).
  mixed  fp16 with the edge tail kept fp32: the nodes within ``tail_depth`` steps of a graph output (the last
         decoder stages, upsampling and the activation that draw the mask's edge) are put on the converter's node
         block list, plus the ops it blocks anyway. The seed report's "backbone fp16, edge tail fp32".
  int8   post-training quantisation with NNCF (QDQ ONNX that OpenVINO and ONNX Runtime run with int8 kernels),
         calibrated on real pictures run through the model's own preprocessing; the edge tail stays float.
  bf16   no new file: OpenVINO's INFERENCE_PRECISION_HINT=bf16 at compile time on CPUs with AVX512-BF16/AMX (the
         file written is the input, with the plan recorded in its metadata); ``backend_options`` says how to run it.
Heavy imports (onnxconverter_common, nncf) happen inside the plan that needs them; the [precision] extra installs them.
"""

from __future__ import annotations

import logging
import shutil
from collections import deque
from pathlib import Path
from typing import Iterable

import numpy as np

from studio.core.errors import ModelError, StudioError
from studio.models.spec import ModelSpec

log = logging.getLogger(__name__)

PLANS = ("fp32", "fp16", "mixed", "int8", "bf16")
DEFAULT_TAIL_DEPTH = 6
METADATA_KEY = "studio.precision_plan"
_INSTALL = "pip install 'studio[precision]' (onnxconverter-common, nncf)"


def tail_nodes(graph, depth: int = DEFAULT_TAIL_DEPTH) -> list[str]:
    """Names of the nodes at most ``depth`` producer steps from a graph output (the output's producer is step 1)."""
    producer = {}
    for node in graph.node:
        for out in node.output:
            producer[out] = node
    seen: dict[str, int] = {}
    queue = deque((producer[o.name], 1) for o in graph.output if o.name in producer)
    while queue:
        node, d = queue.popleft()
        if d > depth or (node.name in seen and seen[node.name] <= d):
            continue
        seen[node.name] = d
        for inp in node.input:
            if inp in producer:
                queue.append((producer[inp], d + 1))
    return sorted(seen)


def _named(model):
    """Give every node a name (the block lists and NNCF's ignored scope go by name); returns the model."""
    used = {n.name for n in model.graph.node if n.name}
    for i, node in enumerate(model.graph.node):
        if not node.name:
            name = f"{node.op_type}_{i}"
            while name in used:
                name += "_"
            node.name = name
            used.add(name)
    return model


def _set_plan(model, plan: str, detail: str) -> None:
    props = {p.key: p for p in model.metadata_props}
    entry = props.get(METADATA_KEY) or model.metadata_props.add()
    entry.key = METADATA_KEY
    entry.value = plan if not detail else f"{plan}; {detail}"


def plan_of(path: Path) -> str:
    """The plan recorded in a file's metadata ("fp32" when none)."""
    import onnx

    model = onnx.load(str(path), load_external_data=False)
    for p in model.metadata_props:
        if p.key == METADATA_KEY:
            return p.value.split(";")[0].strip()
    return "fp32"


def to_fp16(model, *, block_nodes: Iterable[str] = ()):
    try:
        from onnxconverter_common import float16
    except ImportError:
        raise StudioError("the fp16 plans need onnxconverter-common", hint=_INSTALL) from None
    model = float16.convert_float_to_float16(
        model, keep_io_types=True, node_block_list=list(block_nodes),
        op_block_list=list(float16.DEFAULT_OP_BLOCK_LIST))
    return _float_outputs(model)


def _float_outputs(model):
    """keep_io_types misses outputs whose producer is on the block list (onnxconverter-common 1.16 casts them back
    to fp16 and declares them fp16): make every such output float32 again, so Studio reads it like the original."""
    from onnx import TensorProto, helper

    producer = {out: node for node in model.graph.node for out in node.output}
    for value in model.graph.output:
        tensor_type = value.type.tensor_type
        if tensor_type.elem_type != TensorProto.FLOAT16:
            continue
        node = producer.get(value.name)
        if node is not None and node.op_type == "Cast":
            for attr in node.attribute:
                if attr.name == "to":
                    attr.i = TensorProto.FLOAT
        else:
            inner = value.name + "_fp16"
            if node is not None:
                node.output[list(node.output).index(value.name)] = inner
            model.graph.node.append(helper.make_node("Cast", [inner], [value.name], to=TensorProto.FLOAT,
                                                     name=value.name + "_to_fp32"))
        tensor_type.elem_type = TensorProto.FLOAT
    return model


def calibration_tensors(spec: ModelSpec, images: Iterable[Path], limit: int = 64) -> list[np.ndarray]:
    """Input tensors for calibration: each picture through the model's own preprocessing at its input size (fixed
    models) or the adaptive size of the picture (dynamic ones are calibrated at ``spec.input_size`` for one shape)."""
    import cv2

    from studio.models.processing import Preprocessor

    pre = Preprocessor(spec)
    out = []
    for path in images:
        img = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if img is None:
            continue
        out.append(pre(img, spec.input_size).copy())
        if len(out) >= limit:
            break
    if not out:
        raise StudioError("no readable calibration pictures", hint="point --calibration at a folder of photos")
    return out


def to_int8(model, tensors: list[np.ndarray], *, ignore_nodes: Iterable[str] = ()):
    try:
        import nncf
    except ImportError:
        raise StudioError("the int8 plan needs NNCF", hint=_INSTALL) from None
    input_name = model.graph.input[0].name
    dataset = nncf.Dataset(tensors, lambda t: {input_name: t})
    ignored = nncf.IgnoredScope(names=list(ignore_nodes), validate=False) if ignore_nodes else None
    return nncf.quantize(model, dataset, subset_size=len(tensors), ignored_scope=ignored,
                         preset=nncf.QuantizationPreset.MIXED)


def apply_plan(src: Path, dst: Path, plan: str, *, spec: ModelSpec | None = None,
               calibration: Iterable[Path] = (), tail_depth: int = DEFAULT_TAIL_DEPTH,
               calibration_limit: int = 64) -> dict:
    """Write ``src`` under ``plan`` to ``dst``; returns what was done (plan, nodes kept fp32, sizes)."""
    import onnx

    if plan not in PLANS:
        raise StudioError(f"unknown precision plan {plan!r}", hint=f"one of {', '.join(PLANS)}")
    src, dst = Path(src), Path(dst)
    if src.resolve() == dst.resolve():
        raise StudioError("the output must be another file than the input")
    try:
        model = _named(onnx.load(str(src)))
    except Exception as exc:  # onnx raises DecodeError/ValidationError/OSError
        raise ModelError(f"cannot read {src} as ONNX: {exc}") from None
    kept: list[str] = []
    detail = ""
    if plan == "fp16":
        model = to_fp16(model)
    elif plan == "mixed":
        kept = tail_nodes(model.graph, tail_depth)
        model = to_fp16(model, block_nodes=kept)
        detail = f"tail depth {tail_depth}, {len(kept)} nodes fp32"
    elif plan == "int8":
        if spec is None:
            raise StudioError("the int8 plan needs the model's spec (its preprocessing) for calibration",
                              hint="pass --model NAME")
        pictures = list(calibration)
        if not pictures:
            raise StudioError("the int8 plan needs calibration pictures", hint="pass --calibration DIR")
        kept = tail_nodes(model.graph, tail_depth)
        tensors = calibration_tensors(spec, pictures, calibration_limit)
        model = to_int8(model, tensors, ignore_nodes=kept)
        detail = f"{len(tensors)} calibration pictures, tail depth {tail_depth} kept float"
    elif plan == "bf16":
        detail = "runtime hint: OpenVINO INFERENCE_PRECISION_HINT=bf16"
    _set_plan(model, plan, detail)
    dst.parent.mkdir(parents=True, exist_ok=True)
    tmp = dst.with_name(dst.name + ".tmp")
    onnx.save(model, str(tmp))
    shutil.move(str(tmp), dst)
    return {"plan": plan, "input": str(src), "output": str(dst), "fp32_nodes": len(kept), "detail": detail,
            "bytes_in": src.stat().st_size, "bytes_out": dst.stat().st_size}


def backend_options(plan: str) -> dict[str, dict]:
    """What a plan needs at run time, as open_segmenter's ``backend_options`` (runtime name -> constructor options):
    bf16 is OpenVINO's precision hint; fp32 says f32 to OpenVINO outright (a model whose default plan is bf16 then
    runs at full precision); the file plans run as they are."""
    if plan == "bf16":
        return {"openvino": {"precision": "bf16"}}
    if plan == "fp32":
        return {"openvino": {"precision": "f32"}}
    return {}
