"""UI fixtures: small synthetic-source settings, a settings file per test, a real ONNX Runtime backend factory."""

from __future__ import annotations

import dataclasses
import os

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

pytest.importorskip("PySide6")

from studio.config import Settings  # noqa: E402


@pytest.fixture
def ui_settings(tmp_path) -> Settings:
    """A small synthetic source (keeps the 2-core box responsive) with the embedded selfie model and blur."""
    s = Settings()
    s = dataclasses.replace(
        s,
        source=dataclasses.replace(s.source, kind="synthetic", uri="", width=320, height=240, fps=30.0),
        inference=dataclasses.replace(s.inference, model="selfie", backend="onnxruntime", device="cpu"),
        output=dataclasses.replace(s.output, snapshot_dir=str(tmp_path / "snapshots")),
        kiosk=dataclasses.replace(s.kiosk, output_dir=str(tmp_path / "shots")),
    )
    return s.validate()


@pytest.fixture
def settings_path(tmp_path):
    return tmp_path / "config" / "settings.toml"


def _ort_backend(spec, backend: str, device: str):
    from studio.inference.runtimes.onnxruntime import OnnxRuntimeBackend

    be = OnnxRuntimeBackend(threads=1)
    be.load(spec, spec.path(), "cpu")
    return be


@pytest.fixture
def backend_factory():
    """A real ONNX Runtime backend on the CPU with one thread (the box has two cores and the test runs a pipeline)."""
    return _ort_backend
