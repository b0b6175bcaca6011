"""Idling when nobody watches, through the real pipeline: a synthetic source, the real selfie model on ONNX Runtime,
and a real sink that writes to a plain file standing in for the v4l2loopback node (this box has no loopback device).
Readers are this test opening and closing that file; the reader watch sees them through inotify, as it would a
program opening /dev/videoN."""

from __future__ import annotations

import os
import sys

import pytest

from studio.config.settings import Settings
from studio.cli.cmd_cam import status_line
from studio.control.idle import IDLE_AFTER_S
from studio.control.pipeline import LivePipeline
from studio.control.sink_set import VCAM
from studio.core.kinds import EventKind
from studio.output.reader_watch import ReaderWatch, openers_in_proc
from studio.output.simple import CallbackSink
from waiting import wait_for

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the reader watch needs inotify (Linux)")

WAIT = IDLE_AFTER_S + 20.0  # generous: only reached on a bug, and the box is shared


class FileCamera:
    """A virtual camera's writer on a plain file: opens it on open(), writes each frame's first row, closes it."""

    name = VCAM

    def __init__(self, path) -> None:
        self.path = str(path)
        self._file = None
        self.frames = 0
        self.last_index = -1

    @property
    def opened_device(self):
        return None if self._file is None else self.path

    def open(self, width: int, height: int, fps: float) -> None:
        self.close()
        self._file = open(self.path, "wb", buffering=0)

    def write(self, frame) -> None:
        self._file.seek(0)
        self._file.write(frame.image[0].tobytes())
        self.frames += 1
        self.last_index = frame.frame_index

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def live(tmp_path, **live_settings):
    s = Settings()
    s.source.kind, s.source.uri, s.source.width, s.source.height, s.source.fps = "synthetic", "moving", 320, 240, 30.0
    s.inference.model, s.inference.backend, s.inference.device = "selfie", "onnxruntime", "cpu"
    for k, v in live_settings.items():
        setattr(s.live, k, v)
    node = tmp_path / "video42"
    node.touch()
    camera = FileCamera(node)
    return LivePipeline(s, sinks=[camera], telemetry=False), camera, node


def kinds(p: LivePipeline) -> list[str]:
    return [e.kind for e in p.events]


def test_idles_without_readers_and_resumes_when_one_opens_the_device(tmp_path):
    p, camera, node = live(tmp_path)
    p.start()
    try:
        wait_for(lambda: p.stats().inferences > 0, WAIT, "the first mask")
        wait_for(lambda: p.stats().idle, WAIT, "idle with nobody reading")
        assert EventKind.IDLE in kinds(p)
        assert status_line(p.stats()).startswith("idle: nobody is watching the virtual camera")
        # Idle: the slate goes out once a second; between two of them nothing is captured or inferred.
        seen = camera.frames
        wait_for(lambda: camera.frames >= seen + 1, WAIT, "a slate")
        before, slate_index = p.stats(), camera.last_index
        wait_for(lambda: camera.frames >= seen + 3, WAIT, "two more slates")
        after = p.stats()
        assert after.inferences == before.inferences
        assert after.frames_in == before.frames_in
        assert camera.last_index == slate_index  # the same still picture
        # A reader opens the device: running again, with fresh frames and masks.
        with open(node, "rb"):
            wait_for(lambda: not p.stats().idle, WAIT, "resume on a reader")
            assert EventKind.WATCHED in kinds(p)
            wait_for(lambda: p.stats().inferences > after.inferences + 2, WAIT, "inference again")
            wait_for(lambda: p.stats().frames_in > after.frames_in + 10, WAIT, "capture again")
        # The reader is gone: idle again.
        wait_for(lambda: p.stats().idle, WAIT, "idle again after the reader closed")
        # A preview (or a recording) is somebody watching: it ends the idle at once.
        p.add_sink(CallbackSink(lambda frame: None, name="preview"))
        wait_for(lambda: not p.stats().idle, WAIT, "resume for a preview")
    finally:
        assert p.close(10.0)


def test_releasing_the_camera_and_switching_idling_off(tmp_path):
    p, camera, node = live(tmp_path, release_camera_when_idle=True)
    closes = []
    source = p._capture.source  # the synthetic source: count its closes (release_camera_when_idle closes it)
    close = source.close
    source.close = lambda: (closes.append(1), close())[1]
    p.start()
    try:
        wait_for(lambda: p.stats().idle, WAIT, "idle")
        wait_for(lambda: closes, WAIT, "the source released")
        s = p.settings
        s.live.idle_when_unwatched = False
        p.apply_settings(s)
        wait_for(lambda: not p.stats().idle, WAIT, "resume when idling is switched off")
        frames = p.stats().frames_in
        wait_for(lambda: p.stats().frames_in > frames + 10, WAIT, "the source reopened")
    finally:
        assert p.close(10.0)


def test_reader_watch_counts_others_not_our_writer(tmp_path):
    node = tmp_path / "video7"
    node.touch()
    changes = []
    with open(node, "wb") as ours:  # our writer, open before the watch starts
        assert openers_in_proc(node)[0] >= 1
        watch = ReaderWatch(node, own=1, on_change=changes.append)
        watch.start()
        try:
            assert watch.readers == 0
            first = open(node, "rb")
            wait_for(lambda: watch.readers == 1, 10, "one reader")
            second = os.open(node, os.O_RDONLY)
            wait_for(lambda: watch.readers == 2, 10, "two readers")
            first.close()
            os.close(second)
            wait_for(lambda: watch.readers == 0, 10, "no reader")
            assert changes[-1] == 0
            ours.write(b"frame")
        finally:
            watch.close()
    assert not watch.alive


def test_reader_watch_on_a_missing_node_says_why(tmp_path):
    from studio.output.reader_watch import WatchUnsupported

    with pytest.raises(WatchUnsupported) as info:
        ReaderWatch(tmp_path / "nothing").start()
    assert "cannot watch" in info.value.message


def test_cam_idle_flags_reach_the_settings():
    from studio.cli.cmd_cam import build_settings
    from studio.cli.main import build_parser

    def parsed(*argv):
        return build_settings(build_parser().parse_args(["cam", "--source", "synthetic", *argv]))

    assert parsed().live.idle_when_unwatched is True and parsed().live.release_camera_when_idle is False
    assert parsed("--no-idle").live.idle_when_unwatched is False
    s = parsed("--idle-when-unwatched", "--release-camera-when-idle")
    assert s.live.idle_when_unwatched is True and s.live.release_camera_when_idle is True

