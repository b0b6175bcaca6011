"""studio.models.tflite_onnx: the converted MediaPipe selfie models must behave like MediaPipe itself.

References in tests/fixtures/mediapipe were made once with mediapipe 0.10.14 (installers/make_mediapipe_reference.py):
- raw: the model output tensor for an input tensor, from MediaPipe running the .tflite file. Tolerance: max |d|
  2.5e-4, mean |d| 5e-6. Float32 rounding alone moves single pixels by ~1e-4 in this network: onnxruntime and
  OpenVINO running the very same ONNX file differ from each other by up to 8e-5, so 1e-4 is the noise floor; a
  translation mistake shows up as mean differences of 1e-3 and more.
- frame: the frame-size mask of mp.solutions.selfie_segmentation; here MediaPipe's CPU pre/post-processing
  (warpPerspective stretch with MediaPipe's fixed-point sampling, [0, 1] range, bilinear upsampling) is re-done
  with OpenCV around our ONNX model. Tolerance: max |d| 5e-4, mean |d| 5e-6 (observed up to 2.2e-4 / 1e-6).
Real inputs are derived from ../shared/data at test time (never copied into the repository); a test skips with a
reason when that data is absent or decodes to different pixels than MediaPipe saw.

Observed on the reference machine (onnxruntime 1.32 CPU; max / mean |d|) are printed with `pytest -s`.
"""

from __future__ import annotations

import hashlib
import json
import struct
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

from studio.models.tflite_onnx import (
    InvalidModelError,
    UnsupportedOperatorError,
    convert_tflite_to_onnx,
)

REPO = Path(__file__).resolve().parents[2]
MODELS_DIR = REPO / "resources" / "models"
FIXTURES = REPO / "tests" / "fixtures" / "mediapipe"
SHARED_DATA = REPO.parent / "shared" / "data"
TFLITE = {
    "general": MODELS_DIR / "selfie_segmentation.tflite",
    "landscape": MODELS_DIR / "selfie_segmentation_landscape.tflite",
}
VENDORED_ONNX = {
    "general": MODELS_DIR / "selfie_segmentation.onnx",
    "landscape": MODELS_DIR / "selfie_segmentation_landscape.onnx",
}
QUANT = 65535.0
RAW_MAX_ABS = 2.5e-4
RAW_MEAN_ABS = 5e-6
FRAME_MAX_ABS = 5e-4
FRAME_MEAN_ABS = 5e-6


# -- shared fixtures --------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("tflite_onnx")
    paths = {}
    for model, src in TFLITE.items():
        dst = out / f"{model}.onnx"
        convert_tflite_to_onnx(src, dst)
        paths[model] = dst
    return paths


@lru_cache(maxsize=None)
def _manifest() -> dict:
    return json.loads((FIXTURES / "references.json").read_text())


@lru_cache(maxsize=None)
def _arrays() -> dict[str, np.ndarray]:
    with np.load(FIXTURES / "references.npz") as z:
        return {k: z[k] for k in z.files}


def _runner(runtime: str, path: Path) -> Callable[[np.ndarray], np.ndarray]:
    if runtime == "onnxruntime":
        import onnxruntime as ort

        opts = ort.SessionOptions()
        opts.intra_op_num_threads = 2
        session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        name = session.get_inputs()[0].name
        return lambda x: session.run(None, {name: x})[0]
    ov = pytest.importorskip("openvino")
    compiled = ov.Core().compile_model(str(path), "CPU", {"INFERENCE_PRECISION_HINT": "f32"})
    return lambda x: compiled(x)[0]


@pytest.fixture(scope="module", params=["onnxruntime", "openvino"])
def runners(request: pytest.FixtureRequest, converted: dict[str, Path]) -> dict[str, Callable]:
    return {model: _runner(request.param, path) for model, path in converted.items()}


# -- inputs, mirroring installers/make_mediapipe_reference.py --------------------------------------------------------


def _load_real(spec: dict) -> np.ndarray:
    import cv2

    path = SHARED_DATA / spec["path"]
    if not path.is_file():
        pytest.skip(f"shared test data absent: {path}")
    if "frame" in spec:
        cap = cv2.VideoCapture(str(path))
        try:
            for _ in range(spec["frame"] + 1):
                ok, bgr = cap.read()
                if not ok:
                    pytest.skip(f"cannot decode frame {spec['frame']} of {path}")
        finally:
            cap.release()
    else:
        bgr = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if bgr is None:
            pytest.skip(f"cannot decode {path}")
    rgb = np.ascontiguousarray(bgr[:, :, ::-1])
    if hashlib.sha256(rgb.tobytes()).hexdigest() != spec["sha256"]:
        pytest.skip(f"{path} decodes to different pixels than the reference run saw (other codec build)")
    return rgb


def _block_downsample(rgb: np.ndarray, out_h: int, out_w: int, top: int, left: int, k: int) -> np.ndarray:
    crop = rgb[top : top + out_h * k, left : left + out_w * k].astype(np.float64)
    return np.round(crop.reshape(out_h, k, out_w, k, 3).mean(axis=(1, 3))).astype(np.uint8)


def _mediapipe_preprocess(rgb: np.ndarray, out_h: int, out_w: int) -> np.ndarray:
    """MediaPipe's ImageToTensorCalculator (CPU): stretch the whole frame with warpPerspective, map to [0, 1].

    The corners map onto the corners (x_out = x_in * out_w / w, no half-pixel shift). MediaPipe's bundled OpenCV
    warps with the classic fixed-point sampler (source positions rounded to 1/32 pixel); OpenCV >= 4.11 samples at
    exact float positions, which moves soft mask edges by up to 0.09 here. So the map is built the classic way and
    handed to cv2.remap, whose 16-bit map path is that same fixed-point sampler.
    """
    import cv2

    h, w = rgb.shape[:2]
    src = cv2.boxPoints(((w / 2.0, h / 2.0), (float(w), float(h)), 0.0)).astype(np.float32)
    dst = np.array([[0, out_h], [0, 0], [out_w, 0], [out_w, out_h]], np.float32)
    inverse = cv2.invert(cv2.getPerspectiveTransform(src, dst))[1]
    y, x = np.mgrid[0:out_h, 0:out_w].astype(np.float64)
    sx, sy, sw = (inverse[r, 0] * x + inverse[r, 1] * y + inverse[r, 2] for r in range(3))
    scale = np.where(sw != 0, 32.0 / np.where(sw != 0, sw, 1.0), 0.0)
    fx = np.rint(np.clip(sx * scale, -(2**31), 2**31 - 1)).astype(np.int32)
    fy = np.rint(np.clip(sy * scale, -(2**31), 2**31 - 1)).astype(np.int32)
    map_xy = np.dstack([fx >> 5, fy >> 5]).astype(np.int16)
    map_frac = ((fy & 31) * 32 + (fx & 31)).astype(np.uint16)
    warped = cv2.remap(rgb, map_xy, map_frac, cv2.INTER_LINEAR, borderMode=cv2.BORDER_CONSTANT)
    return (warped.astype(np.float32) * np.float32(1.0 / 255.0))[None]


def _report(kind: str, key: str, runtime_out: np.ndarray, ref: np.ndarray) -> tuple[float, float]:
    d = np.abs(runtime_out.astype(np.float64) - ref.astype(np.float64))
    print(f"\n{kind:5} {key:32} max|d| {d.max():.2e}  mean|d| {d.mean():.2e}")
    return float(d.max()), float(d.mean())


def _raw_cases() -> list:
    return [pytest.param(c, id=c["key"]) for c in _manifest()["raw"]]


def _frame_cases() -> list:
    return [pytest.param(c, id=c["key"]) for c in _manifest()["frame"]]


# -- numerical equivalence with MediaPipe ----------------------------------------------------------------------------


@pytest.mark.parametrize("case", _raw_cases())
def test_raw_tensor_matches_mediapipe(case: dict, runners: dict[str, Callable]) -> None:
    mh, mw = _manifest()["models"][case["model"]]["input_hw"]
    arrays = _arrays()
    key = case["key"]
    if case["source"]["stored"]:
        rgb = arrays[f"raw/{key}/input"]
    else:
        top, left, k = case["source"]["crop_top_left_k"]
        rgb = _block_downsample(_load_real(case["source"]), mh, mw, top, left, k)
    x = (rgb.astype(np.float32) / np.float32(255.0))[None]
    out = runners[case["model"]](x)
    assert out.shape == (1, mh, mw, 1)
    ref = arrays[f"raw/{key}/output"].astype(np.float32) / QUANT
    max_abs, mean_abs = _report("raw", key, out[0, :, :, 0], ref)
    assert max_abs <= RAW_MAX_ABS
    assert mean_abs <= RAW_MEAN_ABS


@pytest.mark.parametrize("case", _frame_cases())
def test_frame_mask_matches_mediapipe(case: dict, runners: dict[str, Callable]) -> None:
    import cv2

    mh, mw = _manifest()["models"][case["model"]]["input_hw"]
    arrays = _arrays()
    rgb = arrays[case["input"]] if case["source"]["stored"] else _load_real(case["source"])
    h, w = rgb.shape[:2]
    small = runners[case["model"]](_mediapipe_preprocess(rgb, mh, mw))[0, :, :, 0]
    mask = cv2.resize(small, (w, h), interpolation=cv2.INTER_LINEAR)
    ref = arrays[f"frame/{case['key']}/output"].astype(np.float32) / QUANT
    assert mask.shape == ref.shape
    max_abs, mean_abs = _report("frame", case["key"], mask, ref)
    assert max_abs <= FRAME_MAX_ABS
    assert mean_abs <= FRAME_MEAN_ABS


def test_references_are_person_masks() -> None:
    """Guard against vacuous references: the masks must contain both clear person and clear background."""
    for key, arr in _arrays().items():
        if key.endswith("/output"):
            m = arr.astype(np.float32) / QUANT
            assert (m > 0.9).mean() > 0.03, key
            assert (m < 0.1).mean() > 0.03, key


# -- determinism, vendored files, I/O contract -----------------------------------------------------------------------


@pytest.mark.parametrize("model", sorted(TFLITE))
def test_conversion_is_deterministic_and_matches_vendored(model: str, converted: dict[str, Path], tmp_path: Path):
    again = tmp_path / "again.onnx"
    report = convert_tflite_to_onnx(TFLITE[model], again)
    first = converted[model].read_bytes()
    assert again.read_bytes() == first
    assert hashlib.sha256(first).hexdigest() == report.output_sha256
    assert VENDORED_ONNX[model].read_bytes() == first, "vendored .onnx is stale: run installers/vendor_models.py"


@pytest.mark.parametrize("model", sorted(TFLITE))
def test_report_and_io_contract(model: str, tmp_path: Path) -> None:
    import onnx

    report = convert_tflite_to_onnx(TFLITE[model], tmp_path / "m.onnx", opset=17)
    h = 256 if model == "general" else 144
    assert [(t.name, t.shape) for t in report.inputs] == [("input_1", (1, h, 256, 3))]
    assert [t.shape for t in report.outputs] == [(1, h, 256, 1)]
    assert report.tflite_op_counts["DEQUANTIZE"] == 110
    assert report.tflite_op_counts["Convolution2DTransposeBias"] == 1
    pool = "AVERAGE_POOL_2D" if model == "general" else "MEAN"
    assert report.tflite_op_counts[pool] == 10
    # NCHW inside: only the two edge transposes, no layout shuffling between layers.
    assert report.onnx_op_counts["Transpose"] == 2
    m = onnx.load(str(tmp_path / "m.onnx"))
    assert m.opset_import[0].version == 17
    assert {i.data_type for i in m.graph.initializer} <= {onnx.TensorProto.FLOAT, onnx.TensorProto.INT64}
    onnx.checker.check_model(m, full_check=True)


def test_opset_18_uses_input_axes_and_still_matches(tmp_path: Path, converted: dict[str, Path]) -> None:
    import onnxruntime as ort

    dst = tmp_path / "l18.onnx"
    convert_tflite_to_onnx(TFLITE["landscape"], dst, opset=18)
    x = np.random.default_rng(1).random((1, 144, 256, 3), dtype=np.float32)
    a = ort.InferenceSession(str(dst), providers=["CPUExecutionProvider"]).run(None, {"input_1": x})[0]
    b = ort.InferenceSession(str(converted["landscape"]), providers=["CPUExecutionProvider"]).run(None, {"input_1": x})[0]
    np.testing.assert_allclose(a, b, atol=1e-6)


# -- error paths -----------------------------------------------------------------------------------------------------


def _patch_operator_code(buf: bytearray, old_builtin: int, new_builtin: int) -> None:
    """Rewrite one OperatorCode's builtin code in place (both the int8 legacy field and the int32 field)."""
    import tflite

    model = tflite.Model.GetRootAsModel(bytes(buf), 0)
    for i in range(model.OperatorCodesLength()):
        code = model.OperatorCodes(i)
        if max(code.BuiltinCode(), code.DeprecatedBuiltinCode()) == old_builtin:
            tab = code._tab
            deprecated_at, builtin_at = tab.Offset(4), tab.Offset(10)
            assert deprecated_at and builtin_at, "fields must be present to patch in place"
            struct.pack_into("<b", buf, tab.Pos + deprecated_at, new_builtin)
            struct.pack_into("<i", buf, tab.Pos + builtin_at, new_builtin)
            return
    raise AssertionError(f"builtin {old_builtin} not in model")


def test_unsupported_builtin_operator_is_named(tmp_path: Path) -> None:
    import tflite

    buf = bytearray(TFLITE["general"].read_bytes())
    _patch_operator_code(buf, tflite.BuiltinOperator.HARD_SWISH, tflite.BuiltinOperator.SQUARED_DIFFERENCE)
    src = tmp_path / "patched.tflite"
    src.write_bytes(bytes(buf))
    with pytest.raises(UnsupportedOperatorError) as info:
        convert_tflite_to_onnx(src, tmp_path / "x.onnx")
    assert info.value.ops == ("SQUARED_DIFFERENCE",)
    assert "SQUARED_DIFFERENCE" in str(info.value)
    assert isinstance(info.value, ValueError)
    assert not (tmp_path / "x.onnx").exists()


def test_unsupported_custom_operator_is_named(tmp_path: Path) -> None:
    data = TFLITE["landscape"].read_bytes()
    assert data.count(b"Convolution2DTransposeBias") == 1
    src = tmp_path / "patched.tflite"
    src.write_bytes(data.replace(b"Convolution2DTransposeBias", b"Convolution2DTransposeBiaZ"))
    with pytest.raises(UnsupportedOperatorError, match="Convolution2DTransposeBiaZ"):
        convert_tflite_to_onnx(src, tmp_path / "x.onnx")


def test_unreadable_file_is_reported(tmp_path: Path) -> None:
    src = tmp_path / "junk.tflite"
    src.write_bytes(b"\x00" * 64)
    with pytest.raises(InvalidModelError):
        convert_tflite_to_onnx(src, tmp_path / "x.onnx")
    truncated = tmp_path / "truncated.tflite"
    truncated.write_bytes(TFLITE["general"].read_bytes()[:5000])
    with pytest.raises(InvalidModelError):
        convert_tflite_to_onnx(truncated, tmp_path / "y.onnx")


def test_cli_entry(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from studio.models.tflite_onnx.cli import main_convert

    assert main_convert([str(TFLITE["general"]), str(tmp_path / "ok.onnx")]) == 0
    assert "input_1 1x256x256x3" in capsys.readouterr().out
    data = TFLITE["general"].read_bytes().replace(b"Convolution2DTransposeBias", b"SomethingElseEntirely_____")
    (tmp_path / "bad.tflite").write_bytes(data)
    assert main_convert([str(tmp_path / "bad.tflite"), str(tmp_path / "bad.onnx")]) == 2
    assert "SomethingElseEntirely_____" in capsys.readouterr().err
    (tmp_path / "junk.tflite").write_bytes(b"not a model")
    assert main_convert([str(tmp_path / "junk.tflite"), str(tmp_path / "junk.onnx")]) == 2
    assert main_convert([str(tmp_path / "missing.tflite"), str(tmp_path / "m.onnx")]) == 2


# -- single-operator models built here: the variants the MediaPipe models do not exercise ----------------------------


class TinyModel:
    """Builds a one-subgraph TFLite flatbuffer with the `tflite` package's generated builder functions."""

    def __init__(self) -> None:
        self.tensors: list[tuple[str, tuple[int, ...], int, np.ndarray | None]] = []
        self.ops: list[dict] = []

    def tensor(self, name: str, shape: tuple[int, ...], data: np.ndarray | None = None, type_code: int = 0) -> int:
        self.tensors.append((name, shape, type_code, data))
        return len(self.tensors) - 1

    def op(self, inputs: list[int], outputs: list[int], *, builtin: int = 0, custom: str | None = None,
           options: Callable | None = None, options_type: int = 0, custom_options: bytes = b"") -> None:
        self.ops.append(dict(inputs=inputs, outputs=outputs, builtin=32 if custom else builtin, custom=custom,
                             options=options, options_type=options_type, custom_options=custom_options))

    def build(self, inputs: list[int], outputs: list[int]) -> bytes:
        import flatbuffers
        # The package re-exports every generated builder function at top level (its submodules are shadowed by
        # the classes of the same name), so one namespace serves for Buffer*, Tensor*, Operator*, ...
        import tflite as B

        M = O = OC = S = T = B

        b = flatbuffers.Builder(1024)

        def ivec(start: Callable, values: list[int]) -> int:
            start(b, len(values))
            for v in reversed(values):
                b.PrependInt32(v)
            return b.EndVector()

        def table_vec(start: Callable, offsets: list[int]) -> int:
            start(b, len(offsets))
            for o in reversed(offsets):
                b.PrependUOffsetTRelative(o)
            return b.EndVector()

        buffers = []
        for _, _, _, data in [("", (), 0, None), *self.tensors]:
            raw = None if data is None else b.CreateNumpyVector(np.frombuffer(data.tobytes(), np.uint8))
            B.BufferStart(b)
            if raw is not None:
                B.BufferAddData(b, raw)
            buffers.append(B.BufferEnd(b))
        tensors = []
        for i, (name, shape, type_code, data) in enumerate(self.tensors):
            name_off = b.CreateString(name)
            shape_off = ivec(T.TensorStartShapeVector, list(shape))
            T.TensorStart(b)
            T.TensorAddShape(b, shape_off)
            T.TensorAddType(b, type_code)
            T.TensorAddBuffer(b, i + 1 if data is not None else 0)
            T.TensorAddName(b, name_off)
            tensors.append(T.TensorEnd(b))
        codes, code_index, ops = [], {}, []
        for spec in self.ops:
            key = (spec["builtin"], spec["custom"])
            if key not in code_index:
                custom_off = b.CreateString(spec["custom"]) if spec["custom"] else None
                OC.OperatorCodeStart(b)
                OC.OperatorCodeAddDeprecatedBuiltinCode(b, min(spec["builtin"], 127))
                OC.OperatorCodeAddBuiltinCode(b, spec["builtin"])
                OC.OperatorCodeAddVersion(b, 1)
                if custom_off is not None:
                    OC.OperatorCodeAddCustomCode(b, custom_off)
                code_index[key] = len(codes)
                codes.append(OC.OperatorCodeEnd(b))
            options_off = spec["options"](b) if spec["options"] else None
            custom_off = b.CreateNumpyVector(np.frombuffer(spec["custom_options"], np.uint8)) if spec["custom_options"] else None
            in_off, out_off = ivec(O.OperatorStartInputsVector, spec["inputs"]), ivec(O.OperatorStartOutputsVector, spec["outputs"])
            O.OperatorStart(b)
            O.OperatorAddOpcodeIndex(b, code_index[key])
            O.OperatorAddInputs(b, in_off)
            O.OperatorAddOutputs(b, out_off)
            if options_off is not None:
                O.OperatorAddBuiltinOptionsType(b, spec["options_type"])
                O.OperatorAddBuiltinOptions(b, options_off)
            if custom_off is not None:
                O.OperatorAddCustomOptions(b, custom_off)
            ops.append(O.OperatorEnd(b))
        t_vec = table_vec(S.SubGraphStartTensorsVector, tensors)
        o_vec = table_vec(S.SubGraphStartOperatorsVector, ops)
        i_vec, out_vec = ivec(S.SubGraphStartInputsVector, inputs), ivec(S.SubGraphStartOutputsVector, outputs)
        S.SubGraphStart(b)
        S.SubGraphAddTensors(b, t_vec)
        S.SubGraphAddOperators(b, o_vec)
        S.SubGraphAddInputs(b, i_vec)
        S.SubGraphAddOutputs(b, out_vec)
        subgraph = S.SubGraphEnd(b)
        codes_vec = table_vec(M.ModelStartOperatorCodesVector, codes)
        sg_vec = table_vec(M.ModelStartSubgraphsVector, [subgraph])
        buf_vec = table_vec(M.ModelStartBuffersVector, buffers)
        M.ModelStart(b)
        M.ModelAddVersion(b, 3)
        M.ModelAddOperatorCodes(b, codes_vec)
        M.ModelAddSubgraphs(b, sg_vec)
        M.ModelAddBuffers(b, buf_vec)
        b.Finish(M.ModelEnd(b), file_identifier=b"TFL3")
        return bytes(b.Output())


def _run_tiny(tmp_path: Path, model: TinyModel, inputs: list[int], outputs: list[int], x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    src = tmp_path / "tiny.tflite"
    src.write_bytes(model.build(inputs, outputs))
    dst = tmp_path / "tiny.onnx"
    convert_tflite_to_onnx(src, dst)
    session = ort.InferenceSession(str(dst), providers=["CPUExecutionProvider"])
    return session.run(None, {session.get_inputs()[0].name: x})[0]


def _np_resize_bilinear(x: np.ndarray, out_h: int, out_w: int, align_corners: bool, half_pixel: bool) -> np.ndarray:
    """TensorFlow's resize_bilinear (NHWC), written from its definition."""

    def coords(out_size: int, in_size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        scale = (in_size - 1) / (out_size - 1) if align_corners and out_size > 1 else in_size / out_size
        o = np.arange(out_size, dtype=np.float64)
        src = (o + 0.5) * scale - 0.5 if half_pixel else o * scale
        lo = np.floor(src)
        frac = src - lo
        lo_i = np.clip(lo, 0, in_size - 1).astype(int)
        hi_i = np.clip(np.ceil(src), 0, in_size - 1).astype(int)
        return lo_i, hi_i, frac

    y0, y1, fy = coords(out_h, x.shape[1])
    x0, x1, fx = coords(out_w, x.shape[2])
    top = x[:, y0][:, :, x0] * (1 - fx)[None, None, :, None] + x[:, y0][:, :, x1] * fx[None, None, :, None]
    bot = x[:, y1][:, :, x0] * (1 - fx)[None, None, :, None] + x[:, y1][:, :, x1] * fx[None, None, :, None]
    return top * (1 - fy)[None, :, None, None] + bot * fy[None, :, None, None]


@pytest.mark.parametrize("align_corners,half_pixel", [(False, True), (True, False), (False, False)])
def test_resize_bilinear_modes(tmp_path: Path, align_corners: bool, half_pixel: bool) -> None:
    import tflite
    import tflite as R

    def options(b):
        R.ResizeBilinearOptionsStart(b)
        R.ResizeBilinearOptionsAddAlignCorners(b, align_corners)
        R.ResizeBilinearOptionsAddHalfPixelCenters(b, half_pixel)
        return R.ResizeBilinearOptionsEnd(b)

    m = TinyModel()
    x_i = m.tensor("x", (1, 5, 7, 3))
    size = m.tensor("size", (2,), np.array([12, 9], np.int32), type_code=2)
    y_i = m.tensor("y", (1, 12, 9, 3))
    m.op([x_i, size], [y_i], builtin=tflite.BuiltinOperator.RESIZE_BILINEAR, options=options,
         options_type=tflite.BuiltinOptions.ResizeBilinearOptions)
    x = np.random.default_rng(2).standard_normal((1, 5, 7, 3)).astype(np.float32)
    got = _run_tiny(tmp_path, m, [x_i], [y_i], x)
    np.testing.assert_allclose(got, _np_resize_bilinear(x, 12, 9, align_corners, half_pixel), atol=1e-5)


def _np_conv_nhwc(x: np.ndarray, w_hwio: np.ndarray, stride: int, pads: tuple[int, int, int, int]) -> np.ndarray:
    t, l, btm, r = pads
    xp = np.pad(x, ((0, 0), (t, btm), (l, r), (0, 0)))
    kh, kw = w_hwio.shape[:2]
    out_h = (xp.shape[1] - kh) // stride + 1
    out_w = (xp.shape[2] - kw) // stride + 1
    y = np.zeros((1, out_h, out_w, w_hwio.shape[3]), np.float64)
    for i in range(out_h):
        for j in range(out_w):
            patch = xp[0, i * stride : i * stride + kh, j * stride : j * stride + kw, :]
            y[0, i, j] = np.tensordot(patch, w_hwio, axes=([0, 1, 2], [0, 1, 2]))
    return y


def test_conv2d_same_stride2_odd_input_with_relu6(tmp_path: Path) -> None:
    import tflite
    import tflite as C

    def options(b):
        C.Conv2DOptionsStart(b)
        C.Conv2DOptionsAddPadding(b, tflite.Padding.SAME)
        C.Conv2DOptionsAddStrideW(b, 2)
        C.Conv2DOptionsAddStrideH(b, 2)
        C.Conv2DOptionsAddDilationWFactor(b, 1)
        C.Conv2DOptionsAddDilationHFactor(b, 1)
        C.Conv2DOptionsAddFusedActivationFunction(b, tflite.ActivationFunctionType.RELU6)
        return C.Conv2DOptionsEnd(b)

    rng = np.random.default_rng(3)
    w = (rng.standard_normal((4, 3, 3, 2)) * 2).astype(np.float32)  # [out, kh, kw, in]
    bias = rng.standard_normal(4).astype(np.float32)
    m = TinyModel()
    x_i = m.tensor("x", (1, 7, 6, 2))
    w_i = m.tensor("w", w.shape, w)
    b_i = m.tensor("b", bias.shape, bias)
    y_i = m.tensor("y", (1, 4, 3, 4))
    m.op([x_i, w_i, b_i], [y_i], builtin=tflite.BuiltinOperator.CONV_2D, options=options,
         options_type=tflite.BuiltinOptions.Conv2DOptions)
    x = rng.standard_normal((1, 7, 6, 2)).astype(np.float32)
    got = _run_tiny(tmp_path, m, [x_i], [y_i], x)
    # SAME, stride 2: H 7 -> 4 needs 2 rows of padding (1 + 1), W 6 -> 3 needs 1 column (0 before, 1 after).
    ref = np.clip(_np_conv_nhwc(x, w.transpose(1, 2, 3, 0), 2, (1, 0, 1, 1)) + bias, 0, 6)
    np.testing.assert_allclose(got, ref, atol=1e-4)


def test_transpose_conv_bias_kernel3_stride2(tmp_path: Path) -> None:
    rng = np.random.default_rng(4)
    w = rng.standard_normal((2, 3, 3, 3)).astype(np.float32)  # [out, kh, kw, in]
    bias = np.array([0.5, -0.25], np.float32)
    m = TinyModel()
    x_i = m.tensor("x", (1, 4, 5, 3))
    w_i = m.tensor("w", w.shape, w)
    b_i = m.tensor("b", bias.shape, bias)
    y_i = m.tensor("y", (1, 8, 10, 2))
    m.op([x_i, w_i, b_i], [y_i], custom="Convolution2DTransposeBias", custom_options=struct.pack("<3i", 1, 2, 2))
    x = rng.standard_normal((1, 4, 5, 3)).astype(np.float32)
    got = _run_tiny(tmp_path, m, [x_i], [y_i], x)
    # Scatter every input pixel through the kernel onto the full (2*in + 1) canvas, then crop like TF SAME:
    # total padding (in-1)*2 + 3 - 2*in = 1, all of it after.
    full = np.zeros((1, 9, 11, 2))
    for i in range(4):
        for j in range(5):
            full[0, 2 * i : 2 * i + 3, 2 * j : 2 * j + 3, :] += np.einsum("c,ohwc->hwo", x[0, i, j], w)
    ref = full[:, :8, :10, :] + bias
    np.testing.assert_allclose(got, ref, atol=1e-4)


def test_average_pool_same_excludes_padding_and_mean_without_keepdims(tmp_path: Path) -> None:
    import tflite
    import tflite as P
    import tflite as Rd

    def pool_options(b):
        P.Pool2DOptionsStart(b)
        P.Pool2DOptionsAddPadding(b, tflite.Padding.SAME)
        P.Pool2DOptionsAddStrideW(b, 2)
        P.Pool2DOptionsAddStrideH(b, 2)
        P.Pool2DOptionsAddFilterWidth(b, 3)
        P.Pool2DOptionsAddFilterHeight(b, 3)
        return P.Pool2DOptionsEnd(b)

    def mean_options(b):
        Rd.ReducerOptionsStart(b)
        Rd.ReducerOptionsAddKeepDims(b, False)
        return Rd.ReducerOptionsEnd(b)

    m = TinyModel()
    x_i = m.tensor("x", (1, 5, 5, 2))
    p_i = m.tensor("pooled", (1, 3, 3, 2))
    axes = m.tensor("axes", (2,), np.array([1, 2], np.int32), type_code=2)
    y_i = m.tensor("y", (1, 2))
    m.op([x_i], [p_i], builtin=tflite.BuiltinOperator.AVERAGE_POOL_2D, options=pool_options,
         options_type=tflite.BuiltinOptions.Pool2DOptions)
    m.op([p_i, axes], [y_i], builtin=tflite.BuiltinOperator.MEAN, options=mean_options,
         options_type=tflite.BuiltinOptions.ReducerOptions)
    x = np.random.default_rng(5).standard_normal((1, 5, 5, 2)).astype(np.float32)
    got = _run_tiny(tmp_path, m, [x_i], [y_i], x)
    pooled = np.zeros((1, 3, 3, 2))
    for i in range(3):
        for j in range(3):  # SAME 3x3/2 on 5: one pixel of padding each side, averaged over valid pixels only
            win = x[0, max(2 * i - 1, 0) : 2 * i + 2, max(2 * j - 1, 0) : 2 * j + 2]
            pooled[0, i, j] = win.mean(axis=(0, 1))
    np.testing.assert_allclose(got, pooled.mean(axis=(1, 2)), atol=1e-5)


def test_add_constant_broadcast_with_fused_relu_and_depthwise_multiplier(tmp_path: Path) -> None:
    import tflite
    import tflite as A
    import tflite as D

    def dw_options(b):
        D.DepthwiseConv2DOptionsStart(b)
        D.DepthwiseConv2DOptionsAddPadding(b, tflite.Padding.VALID)
        D.DepthwiseConv2DOptionsAddStrideW(b, 1)
        D.DepthwiseConv2DOptionsAddStrideH(b, 1)
        D.DepthwiseConv2DOptionsAddDepthMultiplier(b, 2)
        D.DepthwiseConv2DOptionsAddDilationWFactor(b, 1)
        D.DepthwiseConv2DOptionsAddDilationHFactor(b, 1)
        return D.DepthwiseConv2DOptionsEnd(b)

    def add_options(b):
        A.AddOptionsStart(b)
        A.AddOptionsAddFusedActivationFunction(b, tflite.ActivationFunctionType.RELU)
        return A.AddOptionsEnd(b)

    rng = np.random.default_rng(6)
    w = rng.standard_normal((1, 2, 2, 6)).astype(np.float32)  # 3 input channels x multiplier 2
    shift = rng.standard_normal(6).astype(np.float32)
    m = TinyModel()
    x_i = m.tensor("x", (1, 4, 4, 3))
    w_i = m.tensor("w", w.shape, w)
    d_i = m.tensor("dw", (1, 3, 3, 6))
    s_i = m.tensor("shift", (6,), shift)
    y_i = m.tensor("y", (1, 3, 3, 6))
    m.op([x_i, w_i, -1], [d_i], builtin=tflite.BuiltinOperator.DEPTHWISE_CONV_2D, options=dw_options,
         options_type=tflite.BuiltinOptions.DepthwiseConv2DOptions)
    m.op([d_i, s_i], [y_i], builtin=tflite.BuiltinOperator.ADD, options=add_options,
         options_type=tflite.BuiltinOptions.AddOptions)
    x = rng.standard_normal((1, 4, 4, 3)).astype(np.float32)
    got = _run_tiny(tmp_path, m, [x_i], [y_i], x)
    ref = np.zeros((1, 3, 3, 6))
    for oc in range(6):  # output channel oc reads input channel oc // multiplier
        ref[..., oc] = _np_conv_nhwc(x[..., oc // 2 : oc // 2 + 1], w[0, :, :, oc][:, :, None, None], 1, (0, 0, 0, 0))[..., 0]
    np.testing.assert_allclose(got, np.maximum(ref + shift, 0), atol=1e-5)
