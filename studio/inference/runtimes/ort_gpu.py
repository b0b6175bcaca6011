"""ONNX Runtime's GPU execution providers: their options, and the check that the one asked for really runs.

Pure logic (no onnxruntime import), so it is tested everywhere:
- CUDA: the device, cuDNN's algorithm search (exhaustive for a fixed input size, where it is measured once;
  heuristic for a dynamic model, where every new size would pay the search again), an arena that grows as needed.
- TensorRT EP: engine and timing caches under engines/onnxruntime_trt/<key> (model sha256, ORT version, device,
  profile, precision: a new key is a new folder, so a stale engine is never looked up), fp16 unless asked for fp32,
  a workspace limit, and explicit min/opt/max shape profiles from the adaptive-resolution policy so a resize never
  triggers a rebuild.
- ``verify_providers``: ORT quietly falls back to the CPU when a provider cannot start; asking for a GPU and
  getting the CPU is an error the user sees (BackendUnavailable), never a silent slowdown.
"""

from __future__ import annotations

from pathlib import Path

from studio.core.errors import BackendUnavailable
from studio.inference.cache import EngineKey, file_sha256
from studio.inference.engine_cache import profile_for
from studio.models.spec import ModelSpec

TRT_WORKSPACE_BYTES = 1 << 30


def _dims(shape) -> str:
    return "x".join(str(d) for d in shape)


def cuda_options(device_id: int | None, spec: ModelSpec | None) -> dict:
    opts = {"arena_extend_strategy": "kSameAsRequested",
            "cudnn_conv_algo_search": "HEURISTIC" if spec is not None and spec.dynamic else "EXHAUSTIVE"}
    if device_id is not None:
        opts["device_id"] = device_id
    return opts


def tensorrt_options(device_id: int | None, spec: ModelSpec | None, path: Path | None, *, ort_version: str,
                     input_name: str = "input", fp16: bool = True, root: Path | None = None) -> dict:
    """Options for TensorrtExecutionProvider; with a spec and a file, caches and shape profiles keyed to them."""
    opts = {"trt_fp16_enable": fp16, "trt_max_workspace_size": TRT_WORKSPACE_BYTES,
            "trt_engine_cache_enable": True, "trt_timing_cache_enable": True}
    if device_id is not None:
        opts["device_id"] = device_id
    if spec is None or path is None:
        return opts
    profile = profile_for(spec)
    key = EngineKey(file_sha256(path), "onnxruntime-trt", ort_version, f"cuda:{device_id or 0}", profile.text(),
                    "fp16" if fp16 else "fp32")
    folder = key.folder(root)
    opts["trt_engine_cache_path"] = str(folder)
    opts["trt_timing_cache_path"] = str(folder.parent)
    if not profile.static:
        opts["trt_profile_min_shapes"] = f"{input_name}:{_dims(profile.min)}"
        opts["trt_profile_opt_shapes"] = f"{input_name}:{_dims(profile.opt)}"
        opts["trt_profile_max_shapes"] = f"{input_name}:{_dims(profile.max)}"
    return opts


def verify_providers(wanted: str, active, hint: str = "") -> None:
    """Raise BackendUnavailable unless ``wanted`` is among the session's ``active`` providers."""
    active = tuple(active)
    if wanted not in active:
        raise BackendUnavailable(f"onnxruntime was asked for {wanted} but fell back to {', '.join(active) or 'none'}",
                                 hint=hint or "check the GPU driver, CUDA/cuDNN/TensorRT libraries and the "
                                              "onnxruntime-gpu install")
