"""Suite-wide fixtures: every test fails if it leaves a Studio thread running."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(autouse=True)
def no_thread_leaks():
    from studio.core.worker import live_studio_threads

    before = {t.ident for t in live_studio_threads()}
    yield
    deadline = time.monotonic() + 3.0
    leaked = []
    while time.monotonic() < deadline:
        leaked = [t for t in live_studio_threads() if t.ident not in before]
        if not leaked:
            break
        time.sleep(0.05)
    assert not leaked, f"threads left running: {[t.name for t in leaked]}"


@pytest.fixture(autouse=True)
def isolated_user_dirs(tmp_path_factory, monkeypatch):
    """Keep tests away from the real user config, downloads and engine caches."""
    base = tmp_path_factory.mktemp("userdirs")
    monkeypatch.setenv("STUDIO_CONFIG_DIR", str(base / "config"))
    monkeypatch.setenv("STUDIO_MODELS_DIR", str(base / "models"))
    monkeypatch.setenv("STUDIO_ENGINES_DIR", str(base / "engines"))


@pytest.fixture
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"test material not found at {SHARED_DATA} (../shared/data beside the checkout)")
    return SHARED_DATA
