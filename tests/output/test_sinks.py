import sys

import cv2
import numpy as np
import pytest

from studio.config.settings import OutputSettings
from studio.core.errors import SinkError
from studio.output import (CallbackSink, NullSink, RecorderSink, Sink, SnapshotSink, VirtualCameraSink, make_sinks,
                           vcam_hint)
from studio.output.recorder import fourcc_for


def frames_of(n, w=160, h=120, channels=3):
    out = []
    for i in range(n):
        img = np.zeros((h, w, channels), np.uint8)
        img[..., :3] = (i * 9) % 256
        img[:, (i * 5) % w:(i * 5) % w + 10, :3] = 255
        if channels == 4:
            img[..., 3] = 255
            img[: h // 2, :, 3] = 0  # top half transparent
        out.append(img)
    return out


def read_all(path):
    cap = cv2.VideoCapture(str(path))
    frames = []
    while True:
        ok, f = cap.read()
        if not ok:
            break
        frames.append(f)
    cap.release()
    return frames


@pytest.mark.parametrize("ext", [".mp4", ".avi", ".mkv"])
def test_recorder_writes_every_frame_and_renames_on_close(tmp_path, frame_factory, ext):
    target = tmp_path / "sub" / f"take{ext}"
    rec = RecorderSink(target, live=False)  # written faster than real time: wait for the encoder, drop nothing
    rec.open(160, 120, 30.0)
    # Reusing one buffer like the compositor does: the recorder must copy before it returns.
    buf = np.empty((120, 160, 3), np.uint8)
    src = frames_of(24)
    for i, img in enumerate(src):
        np.copyto(buf, img)
        rec.write(frame_factory(buf, i))
        if i == 3:
            assert not target.exists()  # nothing under the final name while recording
    rec.close()
    assert target.is_file()
    assert [p.name for p in target.parent.iterdir()] == [target.name]  # no temporary left behind
    got = read_all(target)
    assert rec.dropped == 0 and rec.frames_written == 24
    assert len(got) == 24 and got[0].shape == (120, 160, 3)
    # Content survives (lossy codecs: compare the mean grey level of each frame).
    assert np.abs(np.array([g.mean() for g in got]) - np.array([s.mean() for s in src])).max() < 8


def test_recorder_flattens_bgra_and_scales_other_sizes(tmp_path, frame_factory):
    target = tmp_path / "alpha.avi"
    rec = RecorderSink(target, live=False)
    rec.open(160, 120, 25.0)
    for i, img in enumerate(frames_of(5, 320, 240, channels=4)):
        rec.write(frame_factory(img, i))
    rec.close()
    got = read_all(target)
    assert len(got) == 5 and got[0].shape == (120, 160, 3)
    assert got[2][:50].mean() < 6  # transparent half is black
    assert got[2][70:].mean() > 15


def test_recorder_without_frames_leaves_no_file(tmp_path):
    rec = RecorderSink(tmp_path / "empty.mp4")
    rec.open(64, 48, 30)
    rec.close()
    assert list(tmp_path.iterdir()) == []


def test_recorder_errors_are_clear(tmp_path):
    with pytest.raises(SinkError, match="cannot record to .gif"):
        RecorderSink(tmp_path / "x.gif")
    assert fourcc_for("a.MP4") == "mp4v" and fourcc_for("b.avi") == "MJPG"
    rec = RecorderSink(tmp_path / "x.mp4", fourcc="avc1")  # not in this OpenCV build
    try:
        rec.open(64, 48, 30)
    except SinkError as e:
        assert e.hint and list(tmp_path.iterdir()) == []
    else:  # a build with H.264 support records fine
        rec.close()


def test_recorder_drops_rather_than_blocks_when_the_encoder_lags(tmp_path, frame_factory):
    rec = RecorderSink(tmp_path / "lag.avi", pool_frames=2)
    rec.open(160, 120, 30)
    gate = __import__("threading").Event()
    rec._thread.submit(gate.wait)  # hold the encoder thread
    for i, img in enumerate(frames_of(10)):
        rec.write(frame_factory(img, i))
    gate.set()
    rec.close()
    assert rec.dropped >= 8 - 1 and rec.frames_written + rec.dropped == 10
    assert len(read_all(tmp_path / "lag.avi")) == rec.frames_written


def test_snapshot_saves_the_next_frame_atomically_with_alpha(tmp_path, frame_factory):
    snap = SnapshotSink(tmp_path / "shots")
    snap.open(160, 120, 30)
    try:
        snap.write(frame_factory(frames_of(1)[0]))  # not armed: nothing happens
        fut = snap.request()
        fut2 = snap.request(tmp_path / "named.webp")
        img = frames_of(3, channels=4)[2]
        buf = img.copy()
        snap.write(frame_factory(buf, 7))
        buf[:] = 0  # the compositor reuses the buffer right away
        path = fut.result(timeout=10)
        path2 = fut2.result(timeout=10)
    finally:
        snap.close()
    assert path.parent == tmp_path / "shots" and path.suffix == ".png" and "000007" in path.name
    saved = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert np.array_equal(saved, img)  # PNG is lossless and keeps alpha
    webp = cv2.imread(str(path2), cv2.IMREAD_UNCHANGED)
    assert webp.shape == (120, 160, 4)
    assert sorted(p.name for p in (tmp_path / "shots").iterdir()) == [path.name]
    assert snap.saved == 2


def test_snapshot_jpeg_of_bgra_is_on_white_and_errors_reach_the_future(tmp_path, frame_factory):
    snap = SnapshotSink(tmp_path, fmt="jpg")
    snap.open(160, 120, 30)
    try:
        ok = snap.request()
        blocker = tmp_path / "file"
        blocker.write_text("x")
        bad = snap.request(blocker / "cannot" / "be.png")  # parent is a file
        snap.write(frame_factory(frames_of(1, channels=4)[0], 1))
        jpg = cv2.imread(str(ok.result(timeout=10)))
        with pytest.raises(SinkError) as e:
            bad.result(timeout=10)
        assert e.value.hint
    finally:
        snap.close()
    assert jpg[:50].mean() > 245  # transparent half flattened on white


def test_snapshot_requested_but_never_fed_fails_on_close(tmp_path):
    snap = SnapshotSink(tmp_path)
    snap.open(10, 10, 30)
    fut = snap.request()
    snap.close()
    with pytest.raises(SinkError):
        fut.result(timeout=1)


def test_virtual_camera_without_a_loopback_device_says_how_to_get_one():
    sink = VirtualCameraSink()
    with pytest.raises(SinkError) as e:
        sink.open(640, 480, 30.0)
    text = str(e.value)
    if sys.platform.startswith("linux"):
        assert "modprobe v4l2loopback" in e.value.hint and "exclusive_caps=1" in e.value.hint
    assert "virtual camera" in text
    with pytest.raises(SinkError):
        VirtualCameraSink(device="/dev/video63").open(640, 480, 30.0)
    with pytest.raises(SinkError, match="not open"):
        sink.write(None)


def test_vcam_hints_per_platform():
    assert "modprobe v4l2loopback devices=1 exclusive_caps=1" in vcam_hint("linux")
    assert "OBS" in vcam_hint("win32") and "Virtual Camera" in vcam_hint("win32")
    assert "OBS" in vcam_hint("darwin")
    with pytest.raises(SinkError):
        VirtualCameraSink(fmt="NV12")


def test_null_and_callback_sinks(frame_factory):
    got = []
    cb, null = CallbackSink(got.append), NullSink()
    for s in (cb, null):
        assert isinstance(s, Sink)
        s.open(4, 3, 30)
    f = frame_factory(np.zeros((3, 4, 3), np.uint8))
    cb.write(f)
    null.write(f)
    null.write(f)
    assert got == [f] and null.frames == 2 and null.size == (4, 3)


def test_make_sinks_follows_the_settings(tmp_path):
    assert make_sinks(OutputSettings()) == []
    # recording and snapshots are the pipeline's (LivePipeline.record / snapshot); mirroring the compositor's
    sinks = make_sinks(OutputSettings(vcam=True, vcam_device="/dev/video4", mirror=True,
                                      record=str(tmp_path / "r.mkv"), snapshot_dir=str(tmp_path)))
    assert [type(s) for s in sinks] == [VirtualCameraSink]
    assert sinks[0].device == "/dev/video4" and not hasattr(sinks[0], "mirror")
    assert all(isinstance(s, Sink) for s in sinks)
