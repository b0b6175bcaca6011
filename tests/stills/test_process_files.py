"""`studio process` with real files: the journal (refused when it is not one; model and settings recorded), empty
inputs, --recursive, a single named output, --only-mask, stdin/stdout, the pixel limit and the large-picture path,
the umask, stray temporaries, and a full disk that stops the batch at once."""

from __future__ import annotations

import json
import os
import resource
import signal
import subprocess
import sys

import cv2
import numpy as np
import pytest

from studio.cli.main import main
from studio.stills.imageio import read_rgba

FAST = ["--model", "selfie"]


def picture(path, w=240, h=180, seed=0):
    """A person in a room (the synthetic scene the selfie model segments), written as a real picture file."""
    from studio.capture.synthetic import SyntheticSource

    src = SyntheticSource(w, h, 30.0, motion="slow", seed=seed, noise=2.0, realtime=False)
    src.open()
    try:
        img = src.read()
    finally:
        src.close()
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), img)
    return path


@pytest.fixture
def shots(tmp_path):
    d = tmp_path / "shots"
    for i in range(3):
        picture(d / f"s{i}.jpg", seed=i)
    return d


def journal_lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_a_file_that_is_not_a_journal_is_refused_untouched(shots, tmp_path, capsys):
    fake = picture(tmp_path / "photo.png")
    before = fake.read_bytes()
    assert main(["process", str(shots), "-o", str(tmp_path / "o"), "--journal", str(fake), *FAST]) == 2
    assert fake.read_bytes() == before and not (tmp_path / "o").exists()
    assert "not a Studio journal" in capsys.readouterr().err
    text = tmp_path / "notes.txt"
    text.write_text("shopping list\n")
    assert main(["process", str(shots), "-o", str(tmp_path / "o"), "--journal", str(text), *FAST]) == 2
    assert text.read_text() == "shopping list\n"


def test_the_journal_records_model_and_settings_and_another_model_redoes(shots, tmp_path, capsys):
    out, jr = tmp_path / "o", tmp_path / "j.jsonl"
    assert main(["process", str(shots), "-o", str(out), "--journal", str(jr), *FAST]) == 0
    recs = journal_lines(jr)
    assert len(recs) == 3 and all(r["model"] == "selfie" and r["settings"]["format"] == "png" for r in recs)
    assert main(["process", str(shots), "-o", str(out), "--journal", str(jr), *FAST]) == 0
    assert "3 skipped" in capsys.readouterr().out and len(journal_lines(jr)) == 3
    assert main(["process", str(shots), "-o", str(out), "--journal", str(jr), "--model", "u2netp"]) == 0
    cap = capsys.readouterr()
    assert "3 written, 0 skipped" in cap.out and "another model or other settings" in cap.err
    assert [r["model"] for r in journal_lines(jr)][3:] == ["u2netp"] * 3
    assert main(["process", str(shots), "-o", str(out), "--journal", str(jr), "--model", "u2netp",
                 "--only-mask"]) == 0  # other settings: redone too
    assert "3 written" in capsys.readouterr().out


def test_empty_folder_no_match_and_recursive(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert main(["process", str(tmp_path / "empty"), "-o", str(tmp_path / "o")]) == 2
    assert "no pictures" in capsys.readouterr().err
    assert main(["process", str(tmp_path / "*.png"), "-o", str(tmp_path / "o")]) == 2
    assert "matches" in capsys.readouterr().err
    tree = tmp_path / "tree"
    picture(tree / "a.jpg")
    picture(tree / "sub" / "b.jpg", seed=1)
    nested = tmp_path / "nested"
    picture(nested / "deeper" / "c.jpg")
    assert main(["process", str(nested), "-o", str(tmp_path / "o"), *FAST]) == 2
    assert "--recursive" in capsys.readouterr().err
    assert main(["process", str(tree), "-o", str(tmp_path / "r"), "--recursive", *FAST]) == 0
    assert sorted(p.relative_to(tmp_path / "r").as_posix() for p in (tmp_path / "r").rglob("*.png")) == \
        ["a.png", "sub/b.png"]
    # an output folder inside the input folder: a second run does not cut out the first run's results
    for _ in range(2):
        assert main(["process", str(tree), "-o", str(tree / "cut"), "--recursive", *FAST]) == 0
    assert sorted(p.relative_to(tree / "cut").as_posix() for p in (tree / "cut").rglob("*.png")) == \
        ["a.png", "sub/b.png"]


def test_out_file_names_only_mask_and_the_umask(shots, tmp_path, capsys):
    one = shots / "s0.jpg"
    assert main(["process", str(shots), "-o", str(tmp_path / "result.png"), *FAST]) == 2
    err = capsys.readouterr().err
    assert "looks like a file name" in err and "hint:" in err and not (tmp_path / "result.png").exists()
    old = os.umask(0o022)
    try:
        assert main(["process", str(one), "-o", str(tmp_path / "cut.webp"), *FAST]) == 0
        assert main(["process", str(one), "-o", str(tmp_path / "mask.png"), "--only-mask", *FAST]) == 0
        assert main(["process", str(one), "-o", str(tmp_path / "dir"), "--journal", str(tmp_path / "j"), *FAST]) == 0
    finally:
        os.umask(old)
    for f in (tmp_path / "cut.webp", tmp_path / "mask.png", tmp_path / "dir" / "s0.png", tmp_path / "j"):
        assert f.stat().st_mode & 0o777 == 0o644, f  # not the 0600 of a temporary file
    mask = cv2.imread(str(tmp_path / "mask.png"), cv2.IMREAD_UNCHANGED)
    assert mask.ndim == 2 and mask.shape == (180, 240) and mask.min() < 50 and mask.max() > 200
    assert read_rgba(tmp_path / "cut.webp").shape == (180, 240, 4)


def test_wb_roi_outside_the_picture_is_refused(shots, tmp_path, capsys):
    code = main(["process", str(shots / "s0.jpg"), "-o", str(tmp_path / "o"), "--white-balance",
                 "--wb-roi", "200,100,100,100", *FAST])
    assert code == 1 and "reaches past the edge" in capsys.readouterr().err


def test_stdin_to_stdout(shots, tmp_path):
    data = (shots / "s0.jpg").read_bytes()
    run = subprocess.run([sys.executable, "-m", "studio.cli.main", "process", "-", "-o", "-", *FAST],
                         input=data, capture_output=True, timeout=120)
    assert run.returncode == 0, run.stderr.decode()
    assert run.stdout[:8] == b"\x89PNG\r\n\x1a\n"
    assert read_rgba(run.stdout).shape == (180, 240, 4)


def test_pixel_limit_and_the_large_picture_path(shots, tmp_path, capsys, monkeypatch):
    big = picture(tmp_path / "big.jpg", 900, 700)
    assert main(["process", str(big), "-o", str(tmp_path / "o"), "--max-pixels", "100000", *FAST]) == 1
    err = capsys.readouterr().err
    assert "over the limit" in err and "--max-pixels" in err
    ordinary = tmp_path / "ordinary.png"
    assert main(["process", str(big), "-o", str(ordinary), *FAST]) == 0
    import studio.stills.large as large

    monkeypatch.setattr(large, "LARGE_PIXELS", 100_000)
    monkeypatch.setattr(large, "WORK_PIXELS", 200_000)
    for name, extra in (("large.png", []), ("large.jpg", ["--background", "#00ff00"]),
                        ("large_mask.png", ["--only-mask"])):
        assert main(["process", str(big), "-o", str(tmp_path / name), *extra, *FAST]) == 0
    a = read_rgba(ordinary)[:, :, 3].astype(float) / 255
    b = read_rgba(tmp_path / "large.png")[:, :, 3].astype(float) / 255
    assert a.shape == b.shape == (700, 900)
    inter, union = ((a > 0.5) & (b > 0.5)).sum(), ((a > 0.5) | (b > 0.5)).sum()
    assert inter / union > 0.9  # the bounded-memory path cuts out the same subject
    assert cv2.imread(str(tmp_path / "large_mask.png"), cv2.IMREAD_UNCHANGED).shape == (700, 900)


def test_stray_temporaries_are_cleaned_and_failures_printed_once(shots, tmp_path, capsys):
    out = tmp_path / "o"
    out.mkdir()
    stray = out / ".s1.png.k1ll3d.png.tmp"
    stray.write_bytes(b"half a png")
    (shots / "s9_corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    assert main(["process", str(shots), "-o", str(out), *FAST]) == 1
    assert not stray.exists()
    err = capsys.readouterr().err
    assert len([ln for ln in err.splitlines() if "s9_corrupt" in ln]) == 1 and ".tmp" not in err


def _limit_file_size():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (20_000, 20_000))


def test_a_write_that_cannot_fit_stops_the_batch_at_once(shots, tmp_path):
    """A file-size limit (works for any user) stands in for a full disk: the first output that does not fit stops
    the batch; the rest are reported as not attempted, with no traceback and no temp files left."""
    for i in range(3, 6):
        picture(shots / f"s{i}.jpg", 480, 360, seed=i)
    out, jr = tmp_path / "o", tmp_path / "j.jsonl"
    run = subprocess.run([sys.executable, "-m", "studio.cli.main", "process", str(shots), "-o", str(out),
                          "--journal", str(jr), *FAST], capture_output=True, text=True, timeout=180,
                         preexec_fn=_limit_file_size)
    assert run.returncode != 0 and "Traceback" not in run.stderr
    assert "stopped:" in run.stderr and "not attempted" in run.stderr
    recs = journal_lines(jr)
    assert recs[-1]["status"] == "failed" and len(recs) < 6  # it stopped at the first failure
    assert not list(out.glob(".*.tmp"))


def _can_mount_tmpfs(where) -> bool:
    if os.geteuid() != 0:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", "size=160k", "tmpfs", str(where)],
                          capture_output=True).returncode == 0


def test_a_full_disk_stops_the_batch_at_once(shots, tmp_path):
    """The real thing where this box lets a test mount a tiny tmpfs (root with CAP_SYS_ADMIN; skipped otherwise)."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if not _can_mount_tmpfs(disk):
        pytest.skip("cannot mount a tmpfs here (not root, or no CAP_SYS_ADMIN)")
    try:
        for i in range(3, 8):
            picture(shots / f"s{i}.jpg", 640, 480, seed=i)
        run = subprocess.run([sys.executable, "-m", "studio.cli.main", "process", str(shots), "-o",
                              str(disk / "o"), "--journal", str(tmp_path / "j.jsonl"), *FAST],
                             capture_output=True, text=True, timeout=180)
        assert run.returncode != 0 and "Traceback" not in run.stderr, run.stderr
        assert "disk is full" in run.stderr and "not attempted" in run.stderr
        assert not list((disk / "o").glob(".*.tmp"))
        recs = journal_lines(tmp_path / "j.jsonl")
        assert recs[-1]["status"] == "failed" and len(recs) < 8
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)
