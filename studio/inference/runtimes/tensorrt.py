"""Native TensorRT backend (NVIDIA GPUs): ONNX -> engine built once and cached, then one CUDA stream per model.

- The optimisation profile's min/opt/max come from the adaptive-resolution policy (engine_cache.profile_for), so a
  change of camera or of the thermal cap never rebuilds; a fixed model gets a static profile.
- Precision: a file written by a precision plan (fp16, mixed) is built as a strongly typed network (its own types are
  the plan); otherwise ``precision="fp16"`` sets the FP16 builder flag, "fp32" builds in fp32 (TF32 off).
- Engines are cached under engines/tensorrt/<key> (model sha256, TensorRT version, GPU name and compute capability,
  profile, precision) with a JSON sidecar; a stale or foreign engine is rebuilt, never loaded. A timing cache per
  GPU and TensorRT version makes rebuilds faster; the builder's workspace is limited.
- Device buffers are allocated once for the profile's largest shape, host buffers are pinned; ``infer`` copies in,
  runs ``execute_async_v3`` and copies the one output Studio reads back, with no allocation per frame. Warm-up at load.
The ``tensorrt`` and ``cuda-python`` packages come with the [tensorrt] extra; nothing is imported at module import.
"""

from __future__ import annotations

import ctypes
import logging
from pathlib import Path

import numpy as np

from studio.core import paths
from studio.core.errors import BackendUnavailable, ModelError
from studio.inference.base import BackendInfo
from studio.inference.cache import EngineKey, file_sha256
from studio.inference.engine_cache import EngineCache, ShapeProfile, profile_for
from studio.models.spec import ModelSpec

log = logging.getLogger(__name__)

WORKSPACE_BYTES = 1 << 30
_HINT = "install the [tensorrt] extra (tensorrt, cuda-python) on a box with an NVIDIA GPU and driver"


def _cudart():
    try:
        from cuda.bindings import runtime as cudart  # cuda-python >= 12.6
    except ImportError:
        from cuda import cudart  # older cuda-python
    return cudart


def _ok(result):
    """cuda-python returns (err, *values); raise on an error, return the value(s)."""
    err, *values = result if isinstance(result, tuple) else (result,)
    if int(err) != 0:
        raise BackendUnavailable(f"CUDA error {err}", hint="check the NVIDIA driver and the GPU")
    return values[0] if len(values) == 1 else tuple(values)


def gpu_identity(index: int) -> tuple[str, str]:
    """(name, "sm_XY") of CUDA device ``index``."""
    props = _ok(_cudart().cudaGetDeviceProperties(index))
    name = props.name.decode() if isinstance(props.name, bytes) else str(props.name)
    return name.strip("\x00 "), f"sm_{props.major}{props.minor}"


def parse_cuda_device(device: str) -> int:
    text = (device or "auto").lower()
    if text in ("auto", "cuda", "gpu"):
        return 0
    kind, _, index = text.partition(":")
    if kind not in ("cuda", "gpu") or not index.isdigit():
        raise BackendUnavailable(f"tensorrt: unknown device {device!r}", hint="use cuda or cuda:N")
    return int(index)


def file_plan(path: Path) -> str:
    """The precision plan recorded in an ONNX file ("fp32" when none): fp16/mixed files build strongly typed."""
    from studio.inference.precision import plan_of

    try:
        return plan_of(path)
    except Exception:  # a file onnx cannot read: TensorRT's parser will say what is wrong with it
        return "fp32"


class TensorRtBackend:
    name = "tensorrt"

    def __init__(self, *, precision: str = "fp16", workspace_bytes: int = WORKSPACE_BYTES) -> None:
        if precision not in ("fp32", "fp16"):
            raise BackendUnavailable(f"tensorrt: precision {precision!r}", hint="fp32 or fp16")
        self.precision = precision
        self.workspace_bytes = workspace_bytes
        self._info: BackendInfo | None = None
        self._profile: ShapeProfile | None = None
        self._layout = "NCHW"
        self._engine = self._context = self._stream = None
        self._device_buffers: list[int] = []
        self._host_in = self._host_out = None
        self._host_ptrs: list[int] = []
        self._input = ""
        self._output = ""
        self._shape: tuple[int, ...] | None = None
        self._out_shape: tuple[int, ...] = ()
        self._in_dev = self._out_dev = 0

    @classmethod
    def unavailable_reason(cls) -> str:
        try:
            import tensorrt  # noqa: F401

            count = _ok(_cudart().cudaGetDeviceCount())
        except ImportError:
            return "TensorRT is not installed (the [tensorrt] extra, on a box with an NVIDIA GPU)"
        except Exception as exc:  # no driver, no device
            return f"TensorRT is installed but no CUDA GPU answers ({exc})"
        return "" if count else "TensorRT is installed but this box has no NVIDIA GPU"

    @classmethod
    def available_devices(cls) -> list[str]:
        try:
            import tensorrt  # noqa: F401

            count = _ok(_cudart().cudaGetDeviceCount())
        except Exception:  # not installed, no driver, no GPU: nothing to offer
            return []
        return [f"cuda:{i}" for i in range(count)]

    # -- building ----------------------------------------------------------------------------------------------
    def _build(self, trt, logger, path: Path, profile: ShapeProfile, strongly_typed: bool, timing: Path) -> bytes:
        builder = trt.Builder(logger)
        flags = 0
        if strongly_typed:
            flags |= 1 << int(trt.NetworkDefinitionCreationFlag.STRONGLY_TYPED)
        network = builder.create_network(flags)
        parser = trt.OnnxParser(network, logger)
        if not parser.parse_from_file(str(path)):
            errors = "; ".join(str(parser.get_error(i)) for i in range(parser.num_errors))
            raise ModelError(f"TensorRT cannot parse {path.name}: {errors}")
        config = builder.create_builder_config()
        config.set_memory_pool_limit(trt.MemoryPoolType.WORKSPACE, self.workspace_bytes)
        if not strongly_typed:
            config.clear_flag(trt.BuilderFlag.TF32)
            if self.precision == "fp16":
                config.set_flag(trt.BuilderFlag.FP16)
        cache = config.create_timing_cache(timing.read_bytes() if timing.is_file() else b"")
        config.set_timing_cache(cache, ignore_mismatch=False)
        opt = builder.create_optimization_profile()
        opt.set_shape(network.get_input(0).name, profile.min, profile.opt, profile.max)
        config.add_optimization_profile(opt)
        plan = builder.build_serialized_network(network, config)
        if plan is None:
            raise BackendUnavailable(f"TensorRT could not build an engine for {path.name}",
                                     hint="see the TensorRT log above; try precision fp32 or another backend")
        timing.parent.mkdir(parents=True, exist_ok=True)
        timing.write_bytes(memoryview(config.get_timing_cache().serialize()))
        return bytes(plan)

    def load(self, spec: ModelSpec, path, device: str = "auto") -> BackendInfo:
        reason = self.unavailable_reason()
        if reason:
            raise BackendUnavailable(reason, hint=_HINT)
        import tensorrt as trt

        path = Path(path)
        if not path.is_file():
            raise ModelError(f"model file not found: {path}")
        index = parse_cuda_device(device)
        cudart = _cudart()
        _ok(cudart.cudaSetDevice(index))
        gpu, cc = gpu_identity(index)
        profile = profile_for(spec)
        plan_name = file_plan(path)
        strongly_typed = plan_name in ("fp16", "mixed")
        precision = plan_name if strongly_typed else self.precision
        key = EngineKey(file_sha256(path), "tensorrt", trt.__version__, f"cuda:{index} {gpu} ({cc})",
                        profile.text(), precision)
        cache = EngineCache(key)
        logger = trt.Logger(trt.Logger.WARNING)
        plan_path = cache.lookup()
        built = plan_path is None
        if built:
            log.info("tensorrt: building %s (%s)", path.name, cache.reason)
            timing = paths.engines_dir() / "tensorrt" / f"timing-{key.runtime_version}-{cc}.cache"
            plan_path = cache.store(self._build(trt, logger, path, profile, strongly_typed, timing),
                                    gpu=gpu, compute_capability=cc, model=spec.name, profile=profile.text())
        engine = trt.Runtime(logger).deserialize_cuda_engine(plan_path.read_bytes())
        if engine is None:
            cache.invalidate()
            raise BackendUnavailable(f"TensorRT could not load the engine for {path.name} (removed; it is rebuilt "
                                     "on the next load)")
        self.close()
        self._engine = engine
        self._context = engine.create_execution_context()
        self._profile = profile
        self._layout = spec.layout
        self._allocate(trt, spec)
        self._warm_up()
        self._info = BackendInfo(
            name=self.name, version=trt.__version__, device=f"cuda:{index}", providers=(f"{gpu} ({cc})",),
            notes=f"{gpu} {cc}, precision {precision}, profile {profile.text()}, "
                  + ("engine built" if built else "engine from cache"),
            extra={"precision": precision, "profile": profile.text(), "engine": str(plan_path),
                   "cache": cache.reason if not built else "built"})
        return self._info

    # -- buffers -----------------------------------------------------------------------------------------------
    def _allocate(self, trt, spec: ModelSpec) -> None:
        cudart = _cudart()
        engine, ctx = self._engine, self._context
        names = [engine.get_tensor_name(i) for i in range(engine.num_io_tensors)]
        inputs = [n for n in names if engine.get_tensor_mode(n) == trt.TensorIOMode.INPUT]
        outputs = [n for n in names if engine.get_tensor_mode(n) == trt.TensorIOMode.OUTPUT]
        if len(inputs) != 1:
            raise ModelError(f"model {spec.name!r}: TensorRT needs one image input, the engine has {inputs}")
        try:
            self._output = outputs[spec.output_index]
        except IndexError:
            raise ModelError(f"model {spec.name!r}: output_index {spec.output_index} but the engine has "
                             f"{len(outputs)} outputs") from None
        self._input = inputs[0]
        for n in names:
            if engine.get_tensor_dtype(n) != trt.float32:
                raise ModelError(f"model {spec.name!r}: tensor {n} is {engine.get_tensor_dtype(n)}; Studio "
                                 "feeds and reads float32 (write plans with fp32 inputs and outputs)")
        ctx.set_input_shape(self._input, self._profile.max)
        self._stream = _ok(cudart.cudaStreamCreate())
        for n in names:
            shape = tuple(ctx.get_tensor_shape(n))
            ptr = _ok(cudart.cudaMalloc(int(np.prod(shape)) * 4))
            self._device_buffers.append(ptr)
            ctx.set_tensor_address(n, ptr)
            if n == self._input:
                self._in_dev = ptr
                self._host_in = self._pinned(shape)
            elif n == self._output:
                self._out_dev = ptr
                self._host_out = self._pinned(shape)

    def _pinned(self, shape) -> np.ndarray:
        count = int(np.prod(shape))
        ptr = _ok(_cudart().cudaMallocHost(count * 4))
        self._host_ptrs.append(ptr)
        return np.ctypeslib.as_array(ctypes.cast(ptr, ctypes.POINTER(ctypes.c_float)), shape=(count,))

    def _warm_up(self) -> None:
        self.infer(np.zeros(self._profile.opt, np.float32))

    # -- running -----------------------------------------------------------------------------------------------
    def infer(self, tensor: np.ndarray) -> np.ndarray:
        if self._context is None:
            raise RuntimeError("tensorrt backend: load() a model before infer()")
        cudart = _cudart()
        shape = tuple(tensor.shape)
        if shape != self._shape:
            if not self._profile.covers(shape):
                raise ModelError(f"tensorrt: input {shape} is outside the engine's profile {self._profile.text()}")
            self._context.set_input_shape(self._input, shape)
            self._shape = shape
            self._out_shape = tuple(self._context.get_tensor_shape(self._output))
        n_in = tensor.size
        np.copyto(self._host_in[:n_in].reshape(shape), tensor, casting="same_kind")
        kind = cudart.cudaMemcpyKind
        _ok(cudart.cudaMemcpyAsync(self._in_dev, self._host_in.ctypes.data, n_in * 4,
                                   kind.cudaMemcpyHostToDevice, self._stream))
        if not self._context.execute_async_v3(int(self._stream)):
            raise BackendUnavailable("TensorRT execution failed", hint="see the TensorRT log")
        n_out = int(np.prod(self._out_shape))
        _ok(cudart.cudaMemcpyAsync(self._host_out.ctypes.data, self._out_dev, n_out * 4,
                                   kind.cudaMemcpyDeviceToHost, self._stream))
        _ok(cudart.cudaStreamSynchronize(self._stream))
        return self._host_out[:n_out].reshape(self._out_shape)  # reused next call: callers copy

    def supports_shape(self, width: int, height: int) -> bool:
        if self._profile is None:
            return False
        shape = (1, 3, height, width) if self._layout == "NCHW" else (1, height, width, 3)
        return self._profile.covers(shape)

    @property
    def info(self) -> BackendInfo:
        if self._info is None:
            raise RuntimeError("tensorrt backend: nothing loaded")
        return self._info

    def close(self) -> None:
        if not (self._device_buffers or self._host_ptrs or self._stream):
            self._context = self._engine = None
            return
        cudart = _cudart()
        for ptr in self._device_buffers:
            cudart.cudaFree(ptr)
        for ptr in self._host_ptrs:
            cudart.cudaFreeHost(ptr)
        if self._stream is not None:
            cudart.cudaStreamDestroy(self._stream)
        self._device_buffers, self._host_ptrs, self._stream = [], [], None
        self._host_in = self._host_out = None
        self._context = self._engine = None
        self._shape = None
