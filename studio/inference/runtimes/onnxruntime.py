"""ONNX Runtime backend: one InferenceSession per loaded model, providers chosen explicitly from the device asked for.

ORT quietly drops an execution provider it cannot create and runs on the CPU instead. A user who asked for CUDA and
got the CPU should hear about it, so after the session is built we read ``session.get_providers()`` and raise
BackendUnavailable when the provider that was asked for is not among the active ones.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import numpy as np

from studio.core.errors import BackendUnavailable, ModelError
from studio.inference.base import BackendInfo, spatial_dims
from studio.models.spec import ModelSpec

log = logging.getLogger(__name__)

CPU_EP = "CPUExecutionProvider"
# device kind -> the execution provider that device means. "auto" picks the first available in this order.
DEVICE_PROVIDERS = {
    "tensorrt": "TensorrtExecutionProvider",
    "cuda": "CUDAExecutionProvider",
    "rocm": "ROCMExecutionProvider",
    "migraphx": "MIGraphXExecutionProvider",
    "dml": "DmlExecutionProvider",
    "coreml": "CoreMLExecutionProvider",
    "openvino": "OpenVINOExecutionProvider",
    "cpu": CPU_EP,
}
# TensorRT inside ORT builds engines for minutes on first load; "auto" leaves it to the dedicated TensorRT backend.
AUTO_ORDER = ("cuda", "rocm", "dml", "coreml", "cpu")
_HINTS = {
    "tensorrt": "install onnxruntime-gpu with TensorRT on a box with an NVIDIA GPU, or use the tensorrt backend",
    "cuda": "install onnxruntime-gpu (not onnxruntime) with a matching CUDA/cuDNN, on a box with an NVIDIA GPU",
    "rocm": "install an onnxruntime build with ROCm on a box with an AMD GPU",
    "migraphx": "install an onnxruntime build with MIGraphX on a box with an AMD GPU",
    "dml": "install onnxruntime-directml (Windows)",
    "coreml": "use the macOS onnxruntime wheel",
    "openvino": "install onnxruntime-openvino, or use the openvino backend",
}


def physical_cores() -> int:
    """Physical cores: on a 2-core box, hyper-threads add contention, not speed, for dense convolutions."""
    try:
        import psutil

        n = psutil.cpu_count(logical=False)
    except Exception:  # psutil missing or unable to read the topology: fall back to logical CPUs
        n = None
    return max(1, n or os.cpu_count() or 1)


def parse_device(device: str) -> tuple[str, int | str | None]:
    """"cuda:1" -> ("cuda", 1); "openvino:GPU" -> ("openvino", "GPU"); "cpu" -> ("cpu", None)."""
    text = (device or "auto").strip()
    kind, _, option = text.partition(":")
    kind = kind.lower()
    if kind == "gpu":  # a generic "gpu" means the NVIDIA one for ORT
        kind = "cuda"
    if kind != "auto" and kind not in DEVICE_PROVIDERS:
        raise BackendUnavailable(f"onnxruntime: unknown device {device!r}",
                                 hint=f"use auto or one of {', '.join(DEVICE_PROVIDERS)} (with :N for a GPU index)")
    if not option:
        return kind, None
    if kind == "openvino":
        return kind, option
    try:
        return kind, int(option)
    except ValueError:
        raise BackendUnavailable(f"onnxruntime: bad device index in {device!r}", hint="e.g. cuda:0") from None


class OnnxRuntimeBackend:
    name = "onnxruntime"

    def __init__(self, *, threads: int | None = None, spinning: bool = False, io_binding: bool = True) -> None:
        """``threads``: intra-op threads (default: physical cores). ``spinning``: let idle ORT threads busy-wait;
        off because on a 2-core box the capture and output threads need those cycles more than inference needs the
        microseconds. ``io_binding``: on the CPU with a static output shape, bind the input buffer and a
        preallocated output once instead of session.run() allocating per call; measured paired (1000 alternating
        runs, 2-core AMD EPYC) it saves ~0.04 ms per frame (1-2%) on the selfie models: small but consistent, so
        on. The returned array is then reused by the next call (callers copy; to_alpha does)."""
        self.threads = threads
        self.spinning = spinning
        self.io_binding = io_binding
        self._session = None
        self._info: BackendInfo | None = None
        self._input_name = ""
        self._input_shape: list = []
        self._output_name = ""
        self._layout = "NCHW"
        self._binding = None
        self._bound_shape: tuple[int, ...] | None = None
        self._bound_ptr: int | None = None
        self._out_buffer: np.ndarray | None = None
        self._run_options = None  # ort.RunOptions: its terminate flag is how cancel() ends a running call
        self._out_shape_static: tuple[int, ...] | None = None

    # -- discovery ---------------------------------------------------------------------------------------------
    @classmethod
    def available_devices(cls) -> list[str]:
        try:
            import onnxruntime as ort
        except ImportError:
            return []
        have = set(ort.get_available_providers())
        return [kind for kind, ep in DEVICE_PROVIDERS.items() if ep in have]

    # -- loading -----------------------------------------------------------------------------------------------
    def _providers(self, ort, kind: str, option, spec: ModelSpec | None = None,
                   path: Path | None = None) -> tuple[list, str]:
        have = ort.get_available_providers()
        if kind == "auto":
            kind = next(k for k in AUTO_ORDER if DEVICE_PROVIDERS[k] in have)
        ep = DEVICE_PROVIDERS[kind]
        if ep not in have:
            raise BackendUnavailable(
                f"onnxruntime {ort.__version__} has no {ep} here (available: {', '.join(have)})",
                hint=_HINTS.get(kind, "choose another device"))
        if kind == "cpu":
            return [CPU_EP], kind
        from studio.inference.runtimes import ort_gpu

        device_id = option if isinstance(option, int) else None
        opts: dict = {} if device_id is None else {"device_id": device_id}
        if kind == "openvino" and option:
            opts["device_type"] = option
        elif kind == "cuda":
            opts = ort_gpu.cuda_options(device_id, spec)
        elif kind == "tensorrt":
            opts = ort_gpu.tensorrt_options(device_id, spec, path, ort_version=ort.__version__,
                                            input_name=self._peek_input_name(path))
        chain = [(ep, opts)]
        if kind == "tensorrt" and DEVICE_PROVIDERS["cuda"] in have:
            chain.append((DEVICE_PROVIDERS["cuda"], ort_gpu.cuda_options(device_id, spec)))
        # The CPU stays last so that operators the GPU provider lacks still run; the whole-graph fallback that this
        # also permits is caught after session creation.
        chain.append(CPU_EP)
        return chain, kind

    def load(self, spec: ModelSpec, path, device: str = "auto") -> BackendInfo:
        try:
            import onnxruntime as ort
        except ImportError:
            raise BackendUnavailable("onnxruntime is not installed", hint="pip install onnxruntime") from None
        path = Path(path)
        if not path.is_file():
            raise ModelError(f"model file not found: {path}")
        kind, option = parse_device(device)
        providers, kind = self._providers(ort, kind, option, spec, path)
        threads = self.threads or physical_cores()

        so = ort.SessionOptions()
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.intra_op_num_threads = threads
        so.inter_op_num_threads = 1
        so.add_session_config_entry("session.intra_op.allow_spinning", "1" if self.spinning else "0")
        so.log_severity_level = 3  # errors only: provider fallbacks are detected and reported below
        try:
            session = ort.InferenceSession(str(path), sess_options=so, providers=providers)
        except Exception as exc:  # ORT raises its own Fail/InvalidGraph/... types; all mean "cannot load this"
            if kind != "cpu" and "provider" in str(exc).lower():
                raise BackendUnavailable(f"onnxruntime could not start {kind} for {path.name}: {exc}",
                                         hint=_HINTS.get(kind, "")) from None
            raise ModelError(f"onnxruntime cannot load {path}: {exc}",
                             hint="the file may be corrupt or use operators this runtime lacks") from None

        active = tuple(session.get_providers())
        from studio.inference.runtimes.ort_gpu import verify_providers

        verify_providers(DEVICE_PROVIDERS[kind], active, _HINTS.get(kind, ""))

        inputs = session.get_inputs()
        if len(inputs) != 1 or len(inputs[0].shape) != 4:
            raise ModelError(f"{path.name}: expected one 4-D image input, found "
                             f"{[(i.name, i.shape) for i in inputs]}")
        if "float" not in inputs[0].type or "16" in inputs[0].type:
            raise ModelError(f"{path.name}: input {inputs[0].name} is {inputs[0].type}; studio feeds float32")
        outputs = session.get_outputs()
        try:
            out = outputs[spec.output_index]
        except IndexError:
            raise ModelError(f"model {spec.name!r}: output_index {spec.output_index} but the file has "
                             f"{len(outputs)} outputs") from None

        self.close()
        self._session = session
        self._input_name = inputs[0].name
        self._input_shape = list(inputs[0].shape)
        self._output_name = out.name
        self._layout = spec.layout
        static_out = all(isinstance(d, int) and d > 0 for d in out.shape)
        self._out_shape_static = tuple(out.shape) if static_out else None
        # A float32 output only: a model written with fp16 outputs (not by our plans) is read the plain way.
        use_binding = self.io_binding and kind == "cpu" and static_out and out.type == "tensor(float)"
        if use_binding:
            self._binding = session.io_binding()
            self._out_buffer = np.empty(self._out_shape_static, np.float32)
            self._binding.bind_output(self._output_name, "cpu", 0, np.float32, self._out_buffer.shape,
                                      self._out_buffer.ctypes.data)
        label = kind if option is None else f"{kind}:{option}"
        self._info = BackendInfo(
            name=self.name, version=ort.__version__, device=label, providers=active,
            notes=f"{threads} intra-op threads, graph optimisation all" + (", io binding" if use_binding else ""),
            extra={"intra_op_threads": str(threads), "spinning": str(self.spinning).lower(),
                   "io_binding": str(use_binding).lower(), "input_shape": str(self._input_shape)})
        self._run_options = ort.RunOptions()
        log.info("onnxruntime loaded %s on %s (providers %s)", path.name, label, ", ".join(active))
        return self._info

    @staticmethod
    def _peek_input_name(path: Path | None) -> str:
        """The first graph input's name (TensorRT EP shape profiles name it), read without a session."""
        if path is None:
            return "input"
        import onnx

        model = onnx.load(str(path), load_external_data=False)
        inits = {i.name for i in model.graph.initializer}
        return next((i.name for i in model.graph.input if i.name not in inits), "input")

    # -- running -----------------------------------------------------------------------------------------------
    def _session_or_raise(self):
        if self._session is None:
            raise RuntimeError("onnxruntime backend: load() a model before infer()")
        return self._session

    def infer(self, tensor: np.ndarray) -> np.ndarray:
        session = self._session_or_raise()
        if tensor.dtype != np.float32 or not tensor.flags.c_contiguous:
            tensor = np.ascontiguousarray(tensor, dtype=np.float32)
        if self._binding is not None:
            if self._bound_shape != tensor.shape or self._bound_ptr != tensor.ctypes.data:
                self._binding.bind_input(self._input_name, "cpu", 0, np.float32, tensor.shape, tensor.ctypes.data)
                self._bound_shape = tensor.shape
                self._bound_ptr = tensor.ctypes.data
            session.run_with_iobinding(self._binding, self._run_options)
            return self._out_buffer  # reused next call: callers copy (to_alpha does)
        return session.run([self._output_name], {self._input_name: tensor}, self._run_options)[0]

    def cancel(self) -> None:
        """End the running call from another thread (it raises); the watchdog's way out of a hung inference, so an
        abandoned worker does not keep a thread and this session alive. ORT checks the flag between operators, so
        a call stuck inside one kernel still runs to the end of it. Afterwards every call fails: a cancelled
        backend is closed, not reused."""
        if self._run_options is not None:
            self._run_options.terminate = True

    def supports_shape(self, width: int, height: int) -> bool:
        if not self._input_shape:
            return False
        dims = spatial_dims(self._input_shape, self._layout)
        # Symbolic dims come back as str (or None); those accept any size.
        return all(not isinstance(d, int) or d <= 0 or d == want for d, want in zip(dims, (height, width)))

    @property
    def info(self) -> BackendInfo:
        if self._info is None:
            raise RuntimeError("onnxruntime backend: nothing loaded")
        return self._info

    def close(self) -> None:
        self._binding = None
        self._out_buffer = None
        self._bound_shape = None
        self._bound_ptr = None
        self._session = None
