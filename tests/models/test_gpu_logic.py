"""The GPU runtimes' pure logic, tested on any box: TensorRT shape profiles from the adaptive policy, engine cache
keys, sidecars and invalidation, ONNX Runtime GPU provider options and provider verification."""

from __future__ import annotations

import dataclasses
import json

import pytest

from studio.core.errors import BackendUnavailable
from studio.inference.cache import EngineKey
from studio.inference.engine_cache import COMMON_FRAMES, EngineCache, ShapeProfile, profile_for
from studio.inference.runtimes.ort_gpu import cuda_options, tensorrt_options, verify_providers
from studio.models import default_registry
from studio.models.resolution import choose_input_size


def _dynamic():
    return dataclasses.replace(default_registry().get("modnet"), target_area=512 * 512, stride=32)


def test_fixed_model_gets_a_static_profile():
    spec = default_registry().get("u2netp")
    p = profile_for(spec)
    assert p.static and p.opt == (1, 3, 320, 320) and p.text() == "1x3x320x320"
    nhwc = profile_for(default_registry().get("selfie-landscape"))
    assert nhwc.opt == (1, 144, 256, 3)


def test_dynamic_profile_covers_every_size_the_adaptive_policy_picks():
    spec = _dynamic()
    p = profile_for(spec)
    assert not p.static and p.text().startswith("min=1x3x")
    for w, h in COMMON_FRAMES:
        for cap in (None, spec.target_area // 2, spec.target_area // 4):
            iw, ih = choose_input_size(w, h, spec, max_area=cap)
            assert p.covers((1, 3, ih, iw)), (w, h, cap)
    ow, oh = choose_input_size(1280, 720, spec)
    assert p.opt == (1, 3, oh, ow)
    assert all(d % 32 == 0 for d in p.min[2:] + p.max[2:])
    assert not p.covers((1, 3, p.max[2] + 32, p.max[3]))
    assert not p.covers((1, 3, 64))


def _key(**kw):
    base = dict(model_sha256="ab" * 32, runtime="tensorrt", runtime_version="10.9.0",
                device="cuda:0 NVIDIA Orin (sm_87)", shape_profile="1x3x320x320", precision="fp16")
    base.update(kw)
    return EngineKey(**base)


def test_engine_cache_roundtrip_and_invalidation(tmp_path):
    cache = EngineCache(_key(), tmp_path)
    assert cache.lookup() is None and cache.reason == "no cached engine"
    plan = cache.store(b"engine-bytes", gpu="NVIDIA Orin")
    assert EngineCache(_key(), tmp_path).lookup() == plan
    meta = json.loads(cache.sidecar.read_text())
    assert meta["key"]["device"].endswith("(sm_87)") and meta["bytes"] == 12

    # Another GPU, TensorRT version, profile or precision is another folder: never the same engine.
    for change in ({"device": "cuda:0 NVIDIA RTX 4090 (sm_89)"}, {"runtime_version": "10.10.0"},
                   {"shape_profile": "min=1x3x256x256;opt=1x3x512x512;max=1x3x1024x1024"}, {"precision": "fp32"},
                   {"model_sha256": "cd" * 32}):
        other = EngineCache(_key(**change), tmp_path)
        assert other.folder != cache.folder and other.lookup() is None

    # A foreign engine copied into this folder (its sidecar names another GPU) is not loaded.
    meta["key"]["device"] = "cuda:0 NVIDIA RTX 4090 (sm_89)"
    cache.sidecar.write_text(json.dumps(meta))
    assert cache.lookup() is None and "device" in cache.reason

    # Truncated or replaced bytes are not loaded either.
    cache.store(b"engine-bytes")
    cache.plan.write_bytes(b"engine-byt")
    assert cache.lookup() is None and "do not match" in cache.reason
    cache.sidecar.write_text("{not json")
    assert cache.lookup() is None and "sidecar" in cache.reason
    cache.invalidate()
    assert not cache.plan.exists() and not cache.sidecar.exists()


def test_profile_text_is_part_of_the_key():
    p = ShapeProfile((1, 3, 256, 256), (1, 3, 512, 512), (1, 3, 1024, 1024))
    assert EngineKey("ab" * 32, "tensorrt", "10", "gpu", p.text()).digest() != \
        EngineKey("ab" * 32, "tensorrt", "10", "gpu", "1x3x512x512").digest()


def test_ort_cuda_and_tensorrt_provider_options(tmp_path):
    fixed = default_registry().get("u2netp")
    assert cuda_options(1, fixed) == {"device_id": 1, "arena_extend_strategy": "kSameAsRequested",
                                      "cudnn_conv_algo_search": "EXHAUSTIVE"}
    assert cuda_options(None, _dynamic())["cudnn_conv_algo_search"] == "HEURISTIC"

    opts = tensorrt_options(0, fixed, fixed.path(), ort_version="1.20.0", input_name="input.1", root=tmp_path)
    assert opts["trt_engine_cache_enable"] and opts["trt_timing_cache_enable"] and opts["trt_fp16_enable"]
    assert opts["trt_engine_cache_path"].startswith(str(tmp_path / "onnxruntime_trt"))
    assert "trt_profile_min_shapes" not in opts  # a static model needs no profile

    dyn = _dynamic()
    dyn_opts = tensorrt_options(0, dyn, fixed.path(), ort_version="1.20.0", input_name="input", root=tmp_path,
                                fp16=False)
    p = profile_for(dyn)
    assert dyn_opts["trt_profile_min_shapes"] == "input:" + "x".join(map(str, p.min))
    assert dyn_opts["trt_profile_max_shapes"] == "input:" + "x".join(map(str, p.max))
    assert dyn_opts["trt_engine_cache_path"] != opts["trt_engine_cache_path"] and not dyn_opts["trt_fp16_enable"]


def test_a_gpu_provider_that_did_not_start_is_an_error():
    verify_providers("CUDAExecutionProvider", ["CUDAExecutionProvider", "CPUExecutionProvider"])
    with pytest.raises(BackendUnavailable, match="asked for TensorrtExecutionProvider but fell back to "
                                                 "CPUExecutionProvider"):
        verify_providers("TensorrtExecutionProvider", ("CPUExecutionProvider",))


def test_tensorrt_backend_without_tensorrt_says_so(tmp_path):
    import importlib.util

    from studio.inference.registry import _unavailable_reason, available_backends
    from studio.inference.runtimes.tensorrt import TensorRtBackend, parse_cuda_device

    assert parse_cuda_device("auto") == 0 and parse_cuda_device("cuda:2") == 2
    with pytest.raises(BackendUnavailable):
        parse_cuda_device("npu")
    if importlib.util.find_spec("tensorrt") is not None:
        pytest.skip("TensorRT is installed here: tests/gpu covers it")
    assert TensorRtBackend.available_devices() == []
    assert available_backends()["tensorrt"] == []
    assert "TensorRT is not installed" in _unavailable_reason("tensorrt", "cuda:0", {"tensorrt": []})
    with pytest.raises(BackendUnavailable, match="TensorRT"):
        TensorRtBackend().load(default_registry().get("u2netp"), default_registry().get("u2netp").path())
