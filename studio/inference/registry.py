"""The backend registry: runtime names -> lazily imported classes, auto-selection, and the watchdog's fallback chain.

Nothing here imports a runtime at import time. A runtime that is not installed lists no devices, and asking for it is
a BackendUnavailable with an install hint.

Auto order, fastest first for an edge box:
  1. TensorRT (NVIDIA GPU)
  2. OpenVINO on an Intel GPU, then an Intel NPU (frees the CPU for capture and compositing)
  3. ONNX Runtime CUDA
  4./5. the two CPU runtimes, ordered by ``cpu_order()``: see CPU_RULE.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import platform
from pathlib import Path

from studio.core.errors import BackendUnavailable, ModelError, StudioError
from studio.inference.base import Backend, BackendInfo, SelectionReport
from studio.models.spec import ModelSpec

log = logging.getLogger(__name__)

# name -> "module:Class". None: the name is known, but this build has no backend for it (see _missing()).
BACKENDS: dict[str, str | None] = {
    "onnxruntime": "studio.inference.runtimes.onnxruntime:OnnxRuntimeBackend",
    "openvino": "studio.inference.runtimes.openvino:OpenVinoBackend",
    "tensorrt": "studio.inference.runtimes.tensorrt:TensorRtBackend",  # lists no device without TensorRT + a GPU
}

# Measured with `studio bench --models selfie,selfie-landscape,u2netp --backends onnxruntime,openvino --sizes
# 640x480,1280x720 --runs 50 --warmup 5` on a 2-core AMD EPYC (AVX-512), backends timed in alternation, both in f32:
# OpenVINO CPU had the lower whole-Segmenter p50 in all 6 model x size pairs (infer p50 selfie 3.3 vs 4.3-5.6 ms,
# selfie-landscape 2.1 vs 3.1-3.2 ms, u2netp 248-318 vs 254-339 ms); it loads slower (50-190 vs 10-50 ms), which
# the live path pays once. Elsewhere (ARM boxes such as a Jetson) nothing was measured, and ONNX Runtime, the
# reference runtime the models are exported for, goes first.
CPU_RULE = ("on x86-64, OpenVINO CPU before ONNX Runtime CPU (measured faster on every embedded model on an "
            "AVX-512 x86 box); on other CPUs ONNX Runtime first (unmeasured there; the reference runtime)")


def _missing(name: str) -> BackendUnavailable:
    if name == "tensorrt":
        if importlib.util.find_spec("tensorrt") is None:
            return BackendUnavailable(
                "TensorRT is not installed (or this box has no NVIDIA GPU)",
                hint="install the [tensorrt] extra on a box with an NVIDIA GPU and driver; on other boxes use "
                     "openvino or onnxruntime")
        return BackendUnavailable("this build of studio has no TensorRT backend yet",
                                  hint="use onnxruntime with device cuda (or tensorrt:0 through onnxruntime-gpu)")
    return BackendUnavailable(f"unknown backend {name!r}", hint=f"known backends: auto, {', '.join(BACKENDS)}")


def backend_class(name: str) -> type:
    """The class registered under ``name``; BackendUnavailable when unknown or not in this build."""
    target = BACKENDS.get(name)
    if target is None:
        raise _missing(name)
    module, _, cls = target.partition(":")
    # Our own modules never import their runtime at import time, so an ImportError here is a bug: let it surface.
    return getattr(importlib.import_module(module), cls)


def available_backends() -> dict[str, list[str]]:
    """name -> devices this box can use with it; [] when the runtime is not installed (or not in this build)."""
    result: dict[str, list[str]] = {}
    for name, target in BACKENDS.items():
        if target is None:
            result[name] = []
            continue
        try:
            result[name] = list(backend_class(name).available_devices())
        except Exception as exc:  # a broken runtime install must not take the whole listing down
            log.warning("backend %s: cannot list devices: %s", name, exc)
            result[name] = []
    return result


def cpu_order(machine: str | None = None) -> list[tuple[str, str]]:
    """The two CPU runtimes in the order CPU_RULE gives."""
    arch = (machine or platform.machine()).lower()
    if arch in ("x86_64", "amd64", "x64", "i686", "i386"):
        return [("openvino", "cpu"), ("onnxruntime", "cpu")]
    return [("onnxruntime", "cpu"), ("openvino", "cpu")]


def auto_order(machine: str | None = None) -> list[tuple[str, str]]:
    """Every (backend, device) auto-selection considers, fastest first; availability is checked separately."""
    return [("tensorrt", "cuda:0"), ("openvino", "gpu"), ("openvino", "npu"), ("onnxruntime", "cuda")] + \
        cpu_order(machine)


def _device_kind(device: str) -> str:
    return device.lower().replace(".", ":").partition(":")[0]


def _unavailable_reason(name: str, device: str, available: dict[str, list[str]]) -> str | None:
    """Why (name, device) cannot be tried on this box, without loading anything; None if it can."""
    devices = available.get(name)
    if devices is None:
        return "unknown backend"
    if not devices:
        if BACKENDS.get(name) is None:
            return str(_missing(name)).splitlines()[0]
        why = getattr(backend_class(name), "unavailable_reason", None)  # a runtime that can say more does
        return (why() if callable(why) else "") or f"{name} is not installed"
    kind = _device_kind(device)
    if not any(_device_kind(d) == kind for d in devices):
        return f"no {kind} device (has: {', '.join(devices)})"
    return None


def _candidates(device: str, available: dict[str, list[str]]) -> list[tuple[str, str]]:
    """Auto-selection candidates for a requested device class ("auto", "cpu", "cuda", "gpu", "npu")."""
    kind = _device_kind(device or "auto")
    order = auto_order()
    if kind == "auto":
        return order
    if kind == "cpu":
        return cpu_order()
    if kind == "cuda":
        return [(n, d if ":" not in device else device) for n, d in order if _device_kind(d) == "cuda"]
    if kind == "gpu":  # any GPU: every non-CPU, non-NPU entry in auto order
        return [(n, d) for n, d in order if _device_kind(d) in ("cuda", "gpu")]
    matching = [(n, device) for n, d in order if _device_kind(d) == kind]
    if matching:
        return matching
    # A device only some runtime knows (e.g. "dml"): every installed runtime that lists it.
    return [(n, device) for n, devs in available.items() if any(_device_kind(d) == kind for d in devs)]


def _create(name: str, spec: ModelSpec, path: Path, device: str,
            options: dict | None = None) -> tuple[Backend, BackendInfo]:
    backend = backend_class(name)(**(options or {}).get(name, {}))
    try:
        info = backend.load(spec, path, device)
    except BaseException:
        backend.close()
        raise
    return backend, info


def create_backend(name: str, spec: ModelSpec, path: Path, device: str = "auto", *,
                   options: dict[str, dict] | None = None) -> tuple[Backend, SelectionReport]:
    """A loaded backend and a report of how it was chosen. ``name`` may be "auto": see the module docstring.
    ``options``: backend name -> keyword arguments for that runtime's constructor (e.g. a precision plan's
    ``{"openvino": {"precision": "bf16"}}``); runtimes not named get their defaults."""
    if name != "auto":
        backend, info = _create(name, spec, Path(path), device, options)
        return backend, SelectionReport(info, f"{name} on {info.device}: requested", [(name, device, None)])

    available = available_backends()
    tried: list[tuple[str, str, str | None]] = []
    errors: list[StudioError] = []
    for cand_name, cand_device in _candidates(device, available):
        why_not = _unavailable_reason(cand_name, cand_device, available)
        if why_not:
            tried.append((cand_name, cand_device, why_not))
            continue
        try:
            backend, info = _create(cand_name, spec, Path(path), cand_device, options)
        except StudioError as exc:
            tried.append((cand_name, cand_device, exc.message))
            errors.append(exc)
            log.info("auto: %s %s failed: %s", cand_name, cand_device, exc.message)
            continue
        tried.append((cand_name, cand_device, None))
        skipped = "; ".join(f"{n} {d}: {e}" for n, d, e in tried if e)
        reason = f"auto chose {info.label()}"
        if skipped:
            reason += f" after skipping: {skipped}"
        if cand_device == "cpu":
            reason += f". CPU rule: {CPU_RULE}"
        return backend, SelectionReport(info, reason, tried)

    if errors and all(isinstance(e, ModelError) for e in errors):
        raise errors[-1]  # the model is the problem, not the runtimes
    detail = "; ".join(f"{n} {d}: {e}" for n, d, e in tried) or "no candidates"
    raise BackendUnavailable(f"no backend could run {spec.name!r} on device {device!r} ({detail})",
                             hint="install onnxruntime or openvino, or choose another device")


def fallback_chain(name: str, device: str, available: dict[str, list[str]] | None = None) -> list[tuple[str, str]]:
    """Where the live worker's watchdog goes next when (name, device) keeps failing: downhill along the auto order,
    skipping what this box cannot run, and always ending on the CPU runtimes (never the failing pair itself).
    ``available`` defaults to ``available_backends()`` (tests pass their own). For ``name == "auto"`` the failing
    pair is unknown, so the whole available auto order comes back: pass ``SelectionReport.chosen`` (name, device)
    instead, to start below what auto actually picked."""
    available = available_backends() if available is None else available
    order = auto_order()
    kind = _device_kind(device)
    failing = (name, kind)
    keys = [(n, _device_kind(d)) for n, d in order]
    start = keys.index(failing) + 1 if failing in keys else 0
    chain = [pair for pair, key in zip(order[start:], keys[start:]) if key != failing]
    for pair in cpu_order():
        if pair not in chain and (pair[0], "cpu") != failing:
            chain.append(pair)
    return [(n, d) for n, d in chain if _unavailable_reason(n, d, available) is None]
