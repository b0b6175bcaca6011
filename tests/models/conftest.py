"""Fixtures for the model tests: a fake Hugging Face Hub on 127.0.0.1 (see fake_hub.py)."""

from __future__ import annotations

import pytest

from fake_hub import FakeHub


@pytest.fixture
def fake_hub(monkeypatch, tmp_path):
    hub = FakeHub().start()
    monkeypatch.setenv("HF_ENDPOINT", hub.url)
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf-home"))  # no real login, no shared cache
    monkeypatch.delenv("HF_TOKEN", raising=False)
    monkeypatch.setenv("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    monkeypatch.setenv("HF_HUB_DISABLE_TELEMETRY", "1")
    try:
        yield hub
    finally:
        hub.stop()
