import pytest

from studio.core import paths
from studio.core.atomic import atomic_path, write_text_atomic


def test_atomic_write_replaces_whole_file(tmp_path):
    dest = tmp_path / "sub" / "out.txt"
    write_text_atomic(dest, "one")
    write_text_atomic(dest, "two")
    assert dest.read_text() == "two"
    assert [p.name for p in dest.parent.iterdir()] == ["out.txt"]


def test_failed_write_leaves_old_file_and_no_temp(tmp_path):
    dest = tmp_path / "out.txt"
    dest.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(dest) as tmp:
            tmp.write_text("half")
            raise RuntimeError("crash mid-write")
    assert dest.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_checkout_paths_and_overrides(monkeypatch, tmp_path):
    root = paths.checkout_root()
    assert root is not None and (root / "pyproject.toml").is_file()
    monkeypatch.delenv("STUDIO_RESOURCES_DIR", raising=False)
    assert paths.models_dir() == root / "resources" / "models"
    monkeypatch.setenv("STUDIO_ENGINES_DIR", str(tmp_path))
    assert paths.engines_dir() == tmp_path
