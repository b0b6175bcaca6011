"""The one door: model name -> ready Segmenter, with the real embedded models and runtimes."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from studio.core.errors import BackendUnavailable, ModelError
from studio.inference import SelectionReport, Segmenter, open_segmenter
from studio.models.registry import ModelRegistry, default_registry

STUDIO = Path(__file__).resolve().parents[2] / "studio"


def _frame(w: int = 320, h: int = 240) -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.integers(0, 255, (h, w, 3), dtype=np.uint8)


@pytest.mark.parametrize("backend", ["onnxruntime", "openvino", "auto"])
def test_opens_an_embedded_model_and_reports_what_runs(backend):
    seg = open_segmenter("selfie", backend, "cpu")
    try:
        assert isinstance(seg, Segmenter) and isinstance(seg.report, SelectionReport)
        if backend != "auto":
            assert seg.report.chosen.name == backend
        assert seg.backend_label == seg.report.chosen.label()
        out = seg.segment(_frame())
        assert out.alpha.dtype == np.float32 and out.alpha.ndim == 2
        assert 0.0 <= float(out.alpha.min()) and float(out.alpha.max()) <= 1.0
    finally:
        seg.close()


def test_target_area_reaches_the_segmenter():
    seg = open_segmenter("selfie", "onnxruntime", "cpu", target_area=128 * 128)
    try:
        assert seg.target_area == 128 * 128
    finally:
        seg.close()


def test_factory_replaces_the_registry_and_is_reported():
    calls = []

    def factory(spec, backend, device):
        from studio.inference.runtimes.onnxruntime import OnnxRuntimeBackend

        calls.append((spec.name, backend, device))
        be = OnnxRuntimeBackend(threads=1)
        be.load(spec, spec.path(), "cpu")
        return be

    seg = open_segmenter("selfie-landscape", "openvino", "cpu", factory=factory)
    try:
        assert calls == [("selfie-landscape", "openvino", "cpu")]
        assert seg.report.chosen.name == "onnxruntime"
        assert "factory" in seg.report.reason
    finally:
        seg.close()


def test_unknown_model_missing_file_and_bad_checksum_are_model_errors(tmp_path, monkeypatch):
    with pytest.raises(ModelError, match="unknown model"):
        open_segmenter("no-such-model")
    models = tmp_path / "models"
    models.mkdir()
    src = default_registry().get("selfie").path()
    shutil.copy(src, models / "m.onnx")
    good = hashlib.sha256((models / "m.onnx").read_bytes()).hexdigest()
    (models / "models.toml").write_text(
        '[models.m]\nkind = "portrait"\nfile = "m.onnx"\nlicence = "Apache-2.0"\nsource = "t"\n'
        f'input_size = [256, 256]\nactivation = "none"\nsha256 = "{good}"\n')
    monkeypatch.setenv("STUDIO_RESOURCES_DIR", str(tmp_path))
    reg = ModelRegistry.load()
    open_segmenter("m", "onnxruntime", "cpu", registry=reg).close()
    (models / "m.onnx").write_bytes(b"not the model")
    with pytest.raises(ModelError, match="wrong checksum"):
        open_segmenter("m", registry=reg)
    (models / "m.onnx").unlink()
    with pytest.raises(ModelError, match="missing"):
        open_segmenter("m", registry=reg)


def test_tensorrt_is_a_known_name_with_a_clear_answer():
    with pytest.raises(BackendUnavailable) as info:
        open_segmenter("selfie", "tensorrt")
    assert "TensorRT" in info.value.message and info.value.hint


def test_nothing_else_puts_the_backend_registry_and_a_segmenter_together():
    """The one-door rule, checked on the source: only open_model.py builds a Segmenter or loads a backend."""
    offenders = []
    for path in STUDIO.rglob("*.py"):
        text = path.read_text(encoding="utf-8")
        rel = path.relative_to(STUDIO).as_posix()
        builds = re.search(r"\bSegmenter\(", text) is not None
        loads = re.search(r"\b(create_backend|backend_class)\(", text) is not None
        if rel == "inference/open_model.py" or (loads and rel == "inference/registry.py" and not builds):
            continue
        if builds or loads:
            offenders.append(rel)
    assert offenders == []


def _runs_bf16() -> bool:
    """Whether OpenVINO on this CPU takes the bf16 hint (AVX512-BF16 or AMX); elsewhere it runs f32 whatever it is told."""
    flags = Path("/proc/cpuinfo").read_text() if Path("/proc/cpuinfo").is_file() else ""
    return "avx512_bf16" in flags or "amx_bf16" in flags


def test_a_models_default_plan_applies_and_quality_mode_and_fp32_override_it():
    from studio.inference.precision import backend_options
    from studio.stills.quality import FusedSegmenter

    default = open_segmenter("u2netp", "openvino", "cpu")  # models.toml: precision = "bf16"
    full = open_segmenter("u2netp", "openvino", "cpu", backend_options=backend_options("fp32"))
    fused = FusedSegmenter("selfie", "openvino", "cpu")  # selfie fused with u2netp and selfie-landscape
    try:
        assert full.report.chosen.extra["precision"] == "f32"
        assert default.report.chosen.extra["precision"] == ("bf16" if _runs_bf16() else "f32")
        assert [s.spec.name for s in fused.segmenters] == ["selfie", "u2netp", "selfie-landscape"]
        assert all(s.report.chosen.extra["precision"] == "f32" for s in fused.segmenters)
    finally:
        default.close(), full.close(), fused.close()
