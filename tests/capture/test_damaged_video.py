"""Issue 8, item 6: a truncated or corrupt video file is said to be damaged once, and FFmpeg's own complaints (one
batch per loop before) stay off stderr. Real files written with cv2.VideoWriter, cut the way an interrupted copy
leaves them; the real capture thread and the real `studio cam`."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from studio.capture import CaptureThread, VideoFileSource


def truncated_mkv(tmp_path, clip_writer):
    """A Matroska file (streamable, so it still opens) cut in half: its header promises 90 frames."""
    whole = clip_writer(tmp_path / "whole.mkv", frames=90, size=(320, 240), fourcc="mp4v")
    data = whole.read_bytes()
    cut = tmp_path / "cut.mkv"
    cut.write_bytes(data[: len(data) // 2])
    return cut


def test_a_truncated_file_is_reported_once_however_often_it_loops(tmp_path, clip_writer):
    src = VideoFileSource(truncated_mkv(tmp_path, clip_writer), loop=True, realtime=False)
    events = []
    cap = CaptureThread(src, on_event=lambda kind, msg: events.append((kind, msg)))
    cap.start()
    try:
        deadline = time.monotonic() + 20
        while src.loops < 4 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert src.loops >= 4
    finally:
        assert cap.close()
    warnings = [msg for kind, msg in events if kind == "source-warning"]
    assert len(warnings) == 1 and "cut.mkv is damaged or truncated" in warnings[0] and "of its 90 frames" in warnings[0]
    assert src.damaged


def test_an_intact_file_says_nothing(tmp_path, clip_writer):
    src = VideoFileSource(clip_writer(tmp_path / "ok.mkv", frames=30, fourcc="mp4v"), loop=True, realtime=False)
    src.open()
    try:
        for _ in range(95):  # three passes and a bit
            assert src.read() is not None
    finally:
        src.close()
    assert src.loops >= 3 and not src.damaged and src.take_notice() == ""


def test_studio_cam_on_a_damaged_file_says_so_once_and_keeps_ffmpeg_quiet(tmp_path, clip_writer):
    cut = truncated_mkv(tmp_path, clip_writer)
    env = {k: v for k, v in os.environ.items() if k != "OPENCV_FFMPEG_LOGLEVEL"}
    run = subprocess.run([sys.executable, "-m", "studio.cli.main", "cam", "--source", str(cut), "--duration", "4",
                          "--no-telemetry"], capture_output=True, text=True, timeout=120, env=env)
    assert run.returncode == 0, run.stderr
    lines = run.stderr.splitlines()
    assert not [line for line in lines if line.startswith("[")], run.stderr  # "[matroska,webm @ 0x...] ..." before
    assert sum("is damaged or truncated" in line for line in lines) == 1, run.stderr
