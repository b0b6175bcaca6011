"""`studio process --watch` end to end: a real process watching a real folder while pictures are written into it,
one of them in two halves; each is cut out once, only once complete; Ctrl-C ends it cleanly; a restart with the
journal skips what is done. Synchronisation is by polling for outputs with a deadline, never by sleeping."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import cv2

from studio.stills.imageio import read_rgba

from test_process_files import picture  # noqa: E402 - tests/stills is on sys.path (not a package)

DEADLINE_S = 60.0


def _wait_for(cond, what: str, proc) -> None:
    deadline = time.monotonic() + DEADLINE_S
    while time.monotonic() < deadline:
        if cond():
            return
        if proc.poll() is not None:
            raise AssertionError(f"the watcher ended early ({proc.returncode}) waiting for {what}: "
                                 f"{proc.stdout.read()} {proc.stderr.read()}")
        time.sleep(0.05)  # a poll interval, not a synchronisation: the condition decides
    raise AssertionError(f"timed out waiting for {what}")


def _start(inbox: Path, out: Path, journal: Path) -> subprocess.Popen:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    return subprocess.Popen([sys.executable, "-m", "studio", "process", "--watch", str(inbox), "--out", str(out),
                             "--journal", str(journal), "--model", "selfie"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def _stop(proc: subprocess.Popen) -> tuple[int, str, str]:
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    return proc.returncode, out, err


def test_watch_cuts_out_arrivals_once_each_after_they_are_complete(tmp_path):
    inbox, out, jr = tmp_path / "inbox", tmp_path / "out", tmp_path / "j.jsonl"
    inbox.mkdir()
    picture(inbox / "early.jpg", 240, 180, seed=0)  # there before the watch starts
    whole = picture(tmp_path / "whole.jpg", 320, 240, seed=3).read_bytes()
    proc = _start(inbox, out, jr)
    try:
        _wait_for(lambda: (out / "early.png").is_file(), "the picture that was there first", proc)
        half = inbox / "slow.jpg"
        with open(half, "wb") as fh:  # a writer that pauses half-way
            fh.write(whole[: len(whole) // 2])
        picture(tmp_path / "a.jpg", 200, 150, seed=1)
        os.replace(tmp_path / "a.jpg", inbox / "a.jpg")  # dropped in whole, after the half file
        _wait_for(lambda: (out / "a.png").is_file(), "a picture dropped in whole", proc)
        assert not (out / "slow.png").exists()  # the half picture was not cut out (nor failed)
        with open(half, "ab") as fh:
            fh.write(whole[len(whole) // 2:])
        _wait_for(lambda: (out / "slow.png").is_file(), "the picture completed later", proc)
        (inbox / "notes.txt").write_text("not a picture")
    finally:
        code, stdout, stderr = _stop(proc)
    assert code == 0, stderr
    assert "3 written" in stdout and "Traceback" not in stderr
    recs = [json.loads(line) for line in jr.read_text().splitlines()]
    assert sorted(Path(r["input"]).name for r in recs) == ["a.jpg", "early.jpg", "slow.jpg"]  # once each
    assert all(r["status"] == "ok" for r in recs)
    assert read_rgba(out / "slow.png").shape == (240, 320, 4)
    assert cv2.imread(str(out / "slow.png"), cv2.IMREAD_UNCHANGED)[:, :, :3].shape == (240, 320, 3)
    assert not list(out.glob(".*.tmp"))

    proc = _start(inbox, out, jr)  # a restart: the journal says all three are done
    try:
        picture(tmp_path / "b.jpg", 200, 150, seed=2)
        os.replace(tmp_path / "b.jpg", inbox / "b.jpg")
        _wait_for(lambda: (out / "b.png").is_file(), "a new picture after the restart", proc)
    finally:
        code, stdout, stderr = _stop(proc)
    assert code == 0, stderr
    assert "1 written, 3 skipped" in stdout
    assert len(jr.read_text().splitlines()) == 4
