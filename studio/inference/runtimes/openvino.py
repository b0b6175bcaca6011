"""OpenVINO backend: CPU everywhere, Intel GPU/NPU where ``Core().available_devices`` lists them.

Compiled with ``PERFORMANCE_HINT=LATENCY`` (one stream, one request in flight: the live worker runs one frame at a
time) and a model cache under ``engines/openvino/<key>`` so a second start skips compilation where the device
supports it. One infer request per compiled shape is reused; its output buffer is returned without a copy (callers
copy, as ``to_alpha`` does). Dynamic-shape models are reshaped to each input size they meet and compiled per shape,
keeping the few most recent so that the adaptive resolution can move between sizes without recompiling every time.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from functools import lru_cache
from pathlib import Path

import numpy as np

from studio.core.errors import BackendUnavailable, ModelError
from studio.inference.base import BackendInfo, spatial_dims
from studio.inference.cache import EngineKey, file_sha256, shape_profile
from studio.models.spec import ModelSpec

log = logging.getLogger(__name__)

MAX_COMPILED_SHAPES = 4
# Inference precision. OpenVINO's own default on CPUs with AVX512-BF16 or AMX is bf16. Measured on an AMD EPYC
# (AVX512-BF16): bf16 halves u2netp's latency (113 vs 216 ms) but moves its output on a real portrait by up to 0.44
# (mean 0.009), i.e. visibly different edges, so f32 (the model's own precision, matching ONNX Runtime) is the
# default and "auto"/"bf16"/"f16" are opt-in. The precision in use is reported in BackendInfo.
DEFAULT_PRECISION = "f32"
_HINT_INSTALL = "pip install openvino"


@lru_cache(maxsize=1)
def _core():
    """One Core per process: creating it loads plugins, and it is safe to share between threads."""
    return _openvino().Core()


def _openvino():
    """``import openvino`` without the model converter its __init__ imports eagerly (openvino.tools.ovc and its
    telemetry: 60-100 ms of CPU, at the start of `studio cam` on the worker thread beside the first frames); we run
    models, never convert them. ``openvino.convert_model`` still works: it is imported on first use."""
    import sys

    if "openvino" in sys.modules:
        import openvino

        return openvino
    converter = "openvino.tools.ovc"
    blocked = sys.modules.setdefault(converter, None) is None  # None: "not importable", so __init__ skips it
    try:
        import openvino
    finally:
        if blocked and sys.modules.get(converter, 0) is None:
            del sys.modules[converter]
    if "convert_model" not in vars(openvino):
        openvino.__getattr__ = _converter_on_demand  # PEP 562: consulted for names the module lacks
    return openvino


def _converter_on_demand(name: str):
    if name == "convert_model":
        from openvino.tools.ovc import convert_model

        return convert_model
    raise AttributeError(f"module 'openvino' has no attribute {name!r}")


def to_ov_device(device: str) -> str:
    """Studio's lowercase names to OpenVINO's: "cpu" -> "CPU", "gpu:1" -> "GPU.1", "GPU.0" stays; "auto" -> "AUTO"."""
    text = (device or "auto").strip()
    kind, _, index = text.replace(".", ":").partition(":")
    name = kind.upper()
    return f"{name}.{index}" if index else name


def from_ov_device(name: str) -> str:
    """OpenVINO's names to studio's: "GPU.0" -> "gpu:0", "CPU" -> "cpu"."""
    kind, _, index = name.partition(".")
    return f"{kind.lower()}:{index}" if index else kind.lower()


def _compile(model, device: str, config: dict, static: tuple[int, ...] | None, shape: tuple[int, ...]) -> tuple:
    """(compiled model, its one infer request) for ``shape``; a dynamic model is reshaped on a copy first."""
    if static is None:
        ov = _openvino()
        model = model.clone()
        model.reshape({model.inputs[0]: ov.PartialShape(list(shape))})
    try:
        compiled = _core().compile_model(model, device, config)
    except Exception as exc:  # OpenVINO raises RuntimeError with the plugin's message
        raise BackendUnavailable(f"openvino could not compile for {device} at {shape}: {exc}",
                                 hint="try another device or backend") from None
    return compiled, compiled.create_infer_request()


def _type_name(value) -> str:
    """ov.Type -> "f32"/"bf16"; anything else as text."""
    to_string = getattr(value, "to_string", None)
    return to_string() if callable(to_string) else str(value)


class OpenVinoBackend:
    name = "openvino"

    def __init__(self, *, threads: int | None = None, precision: str = DEFAULT_PRECISION,
                 cache: bool = True) -> None:
        """``threads``: INFERENCE_NUM_THREADS (default: the LATENCY hint's choice, physical cores). ``precision``:
        "f32", "f16", "bf16" or "auto" (the runtime's default). ``cache``: use the engines/ model cache."""
        self.threads = threads
        self.precision = precision
        self.cache = cache
        self._model = None
        self._device = ""
        self._config: dict = {}
        self._compiled: "OrderedDict[tuple[int, ...], tuple]" = OrderedDict()
        self._static_shape: tuple[int, ...] | None = None
        self._input_pshape: list = []
        self._layout = "NCHW"
        self._output_index = 0
        self._current: tuple | None = None
        self._current_shape: tuple[int, ...] | None = None
        self._bound: tuple | None = None
        self._info: BackendInfo | None = None

    @classmethod
    def available_devices(cls) -> list[str]:
        try:
            core = _core()
        except ImportError:
            return []
        return [from_ov_device(d) for d in core.available_devices]

    # -- loading -----------------------------------------------------------------------------------------------
    def _resolve_device(self, core, device: str) -> str:
        have = list(core.available_devices)
        if (device or "auto").lower() == "auto":
            # Intel GPU/NPU first (they free the CPU for capture and compositing), CPU otherwise.
            for prefix in ("GPU", "NPU", "CPU"):
                for d in have:
                    if d.split(".")[0] == prefix:
                        return d
            raise BackendUnavailable("openvino lists no devices on this box", hint="check the OpenVINO install")
        ov_dev = to_ov_device(device)
        if ov_dev in have:
            return ov_dev
        # "GPU" is fine when only "GPU.0" is listed: OpenVINO resolves it to the first one.
        if "." not in ov_dev and any(d.split(".")[0] == ov_dev for d in have):
            return ov_dev
        raise BackendUnavailable(
            f"openvino: device {device!r} ({ov_dev}) is not available here; available: "
            f"{', '.join(from_ov_device(d) for d in have) or 'none'}",
            hint="an Intel GPU needs its compute runtime (intel-opencl-icd), an NPU its driver; use cpu otherwise")

    def load(self, spec: ModelSpec, path, device: str = "auto") -> BackendInfo:
        try:
            ov = _openvino()
            core = _core()
        except ImportError:
            raise BackendUnavailable("openvino is not installed", hint=_HINT_INSTALL) from None
        path = Path(path)
        if not path.is_file():
            raise ModelError(f"model file not found: {path}")
        ov_device = self._resolve_device(core, device)
        try:
            model = core.read_model(str(path))
        except Exception as exc:  # OpenVINO raises RuntimeError subclasses with the parser's message
            raise ModelError(f"openvino cannot read {path}: {exc}",
                             hint="the file may be corrupt or use operators this runtime lacks") from None
        if len(model.inputs) != 1 or model.inputs[0].get_partial_shape().rank.get_length() != 4:
            raise ModelError(f"{path.name}: expected one 4-D image input, found "
                             f"{[(i.get_any_name(), str(i.get_partial_shape())) for i in model.inputs]}")
        n_out = len(model.outputs)
        index = spec.output_index if spec.output_index >= 0 else n_out + spec.output_index
        if not 0 <= index < n_out:
            raise ModelError(f"model {spec.name!r}: output_index {spec.output_index} but the file has {n_out} outputs")

        pshape = model.inputs[0].get_partial_shape()
        dims = [d.get_length() if d.is_static else -1 for d in pshape]
        static = tuple(dims) if all(d > 0 for d in dims) else None

        config: dict = {"PERFORMANCE_HINT": "LATENCY"}
        if self.threads:
            config["INFERENCE_NUM_THREADS"] = int(self.threads)
        if self.precision != "auto":
            config["INFERENCE_PRECISION_HINT"] = self.precision
        try:
            full_name = str(core.get_property(ov_device, "FULL_DEVICE_NAME"))
        except Exception:  # some plugins (AUTO, MULTI) do not answer this; the name is only informative
            full_name = ov_device
        key = None
        if self.cache:
            # The full device name is in the key: a blob compiled for one CPU's instruction set or one GPU
            # generation must not be picked up by another box that shares the engines folder.
            key = EngineKey(file_sha256(path), "openvino", ov.get_version(), f"{ov_device} {full_name}",
                            shape_profile(dims), precision=self.precision)
            cache_dir = key.folder()
            cache_dir.mkdir(parents=True, exist_ok=True)
            config["CACHE_DIR"] = str(cache_dir)

        # Fixed models compile now (so load time is load time, not first-frame time) and before the swap, so a
        # failed reload leaves the previous model running.
        entry = _compile(model, ov_device, config, static, static) if static is not None else None
        self.close()
        self._model = model
        self._device = ov_device
        self._config = config
        self._static_shape = static
        self._input_pshape = dims
        self._layout = spec.layout
        self._output_index = index
        if entry is not None:
            self._compiled[static] = entry
            self._use(static, entry)
        compiled = self._current[0] if self._current else None
        precision = _type_name(compiled.get_property("INFERENCE_PRECISION_HINT")) if compiled else self.precision
        self._info = BackendInfo(
            name=self.name, version=ov.get_version().split("-")[0], device=from_ov_device(ov_device),
            providers=(ov_device,),
            notes=f"{full_name}, LATENCY hint, precision {precision}" + (", model cache" if key else ""),
            extra={"full_device_name": full_name, "precision": precision, "input_shape": str(dims),
                   "cache_dir": config.get("CACHE_DIR", "")})
        log.info("openvino loaded %s on %s (%s)", path.name, ov_device, full_name)
        return self._info

    def _select(self, shape: tuple[int, ...]) -> None:
        """Make the compiled model for ``shape`` current, compiling it (and evicting the oldest) when new."""
        entry = self._compiled.get(shape)
        if entry is None:
            entry = _compile(self._model, self._device, self._config, self._static_shape, shape)
            self._compiled[shape] = entry
            while len(self._compiled) > MAX_COMPILED_SHAPES:
                self._compiled.popitem(last=False)
        else:
            self._compiled.move_to_end(shape)
        self._use(shape, entry)

    def _use(self, shape: tuple[int, ...], entry: tuple) -> None:
        self._current = entry
        self._current_shape = shape
        self._bound = None

    # -- running -----------------------------------------------------------------------------------------------
    def infer(self, tensor: np.ndarray) -> np.ndarray:
        if self._model is None:
            raise RuntimeError("openvino backend: load() a model before infer()")
        if tensor.dtype != np.float32 or not tensor.flags.c_contiguous:
            tensor = np.ascontiguousarray(tensor, dtype=np.float32)
        if tensor.shape != self._current_shape:
            if self._static_shape is not None:
                raise ModelError(f"openvino: input shape {tensor.shape} does not match the model's "
                                 f"{self._static_shape}")
            self._select(tuple(tensor.shape))
        request = self._current[1]
        # Bind the caller's buffer without a copy; the Preprocessor reuses one buffer per size, so this rebinds
        # only when the size (or the buffer) changes. start_async+wait rather than infer(): infer() wraps (and by
        # default copies) every output, and u2netp has seven.
        if self._bound is None or self._bound[0] is not tensor:
            import openvino as ov

            request.set_input_tensor(ov.Tensor(tensor, shared_memory=True))
            self._bound = (tensor,)  # holds the array alive while OpenVINO reads from it
        request.start_async()
        request.wait()
        return request.get_output_tensor(self._output_index).data

    def supports_shape(self, width: int, height: int) -> bool:
        if not self._input_pshape:
            return False
        dims = spatial_dims(self._input_pshape, self._layout)
        return all(d <= 0 or d == want for d, want in zip(dims, (height, width)))

    @property
    def compiled_shapes(self) -> list[tuple[int, ...]]:
        return list(self._compiled)

    @property
    def info(self) -> BackendInfo:
        if self._info is None:
            raise RuntimeError("openvino backend: nothing loaded")
        return self._info

    def close(self) -> None:
        self._compiled.clear()
        self._current = None
        self._current_shape = None
        self._bound = None
        self._model = None
