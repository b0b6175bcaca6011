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


def test_written_files_respect_the_umask_and_keep_a_replaced_files_mode(tmp_path):
    import os

    old = os.umask(0o027)
    try:
        write_text_atomic(tmp_path / "a.txt", "x")
        assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o640
        os.umask(0o022)
        write_text_atomic(tmp_path / "b.txt", "x")
        assert (tmp_path / "b.txt").stat().st_mode & 0o777 == 0o644
        (tmp_path / "a.txt").chmod(0o600)
        write_text_atomic(tmp_path / "a.txt", "y")  # replacing keeps the file's own mode
        assert (tmp_path / "a.txt").stat().st_mode & 0o777 == 0o600
    finally:
        os.umask(old)


def test_write_errors_name_the_file_not_the_temporary(tmp_path):
    from studio.core.atomic import WriteError, check_writable, remove_stale_temps

    blocker = tmp_path / "file"
    blocker.write_text("a file standing where a folder should be")
    for dest in (blocker / "out.txt", blocker / "deeper" / "out.txt"):
        with pytest.raises(WriteError) as err:
            write_text_atomic(dest, "x")
        assert str(dest) in str(err.value) and ".tmp" not in str(err.value) and err.value.hint
        with pytest.raises(WriteError):
            check_writable(dest)
    with pytest.raises(WriteError, match="is a folder"):
        check_writable(tmp_path)
    with pytest.raises(WriteError):
        check_writable("/proc/studio-test.json")  # /proc takes no new files, even for root
    assert check_writable(tmp_path / "new" / "x.json") == tmp_path / "new" / "x.json"
    assert not (tmp_path / "new").exists()  # the check creates nothing
    (tmp_path / ".out.png.abc123.png.tmp").write_bytes(b"half")
    assert remove_stale_temps(tmp_path / "out.png") == 1 and not list(tmp_path.glob(".out.png*"))
