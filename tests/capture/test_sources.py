import sys
import time

import cv2
import numpy as np
import pytest

from studio.capture import (CameraSource, ImageSource, SyntheticSource, VideoFileSource, list_cameras,
                            make_source)
from studio.capture.base import Source
from studio.capture.pacing import FramePacer
from studio.config.settings import SourceSettings
from studio.core.errors import SourceError


def test_every_source_kind_satisfies_the_protocol(clip, tmp_path):
    img = tmp_path / "still.png"
    cv2.imwrite(str(img), np.zeros((10, 12, 3), np.uint8))
    for s in (CameraSource(0), VideoFileSource(clip), ImageSource(img), SyntheticSource(64, 64)):
        assert isinstance(s, Source)


def test_video_file_reads_every_frame_then_ends_without_loop(clip):
    src = VideoFileSource(clip, loop=False, realtime=False)
    src.open()
    assert src.size == (160, 120) and src.fps == pytest.approx(30.0)
    frames = []
    while (f := src.read()) is not None:
        frames.append(f)
    src.close()
    assert len(frames) == 20
    assert all(f.shape == (120, 160, 3) and f.dtype == np.uint8 and f.flags.c_contiguous for f in frames)
    # The bar moves, so consecutive frames differ: these are the file's frames, not one repeated.
    assert np.abs(frames[0].astype(int) - frames[5].astype(int)).mean() > 5


def test_video_file_loops_back_to_the_first_frame(clip):
    src = VideoFileSource(clip, loop=True, realtime=False)
    src.open()
    first = src.read()
    for _ in range(19):
        src.read()
    again = src.read()  # frame 0 of the second pass
    src.close()
    assert src.loops == 1
    assert np.abs(first.astype(int) - again.astype(int)).max() <= 2


def test_video_file_is_paced_at_its_own_rate(tmp_path, clip_writer):
    clip = clip_writer(tmp_path / "c20.avi", frames=10, fps=20.0)
    src = VideoFileSource(clip, loop=True, realtime=True)
    src.open()
    t0 = time.monotonic()
    n = 0
    while time.monotonic() - t0 < 0.6:
        src.read()
        n += 1
    src.close()
    # 20 fps over 0.6 s is 12-13 frames; unpaced decoding would give hundreds. Generous bounds: a shared machine.
    assert 6 <= n <= 16, n


def test_realtime_false_is_not_paced(clip):
    src = VideoFileSource(clip, loop=True, realtime=False)
    src.open()
    t0 = time.monotonic()
    for _ in range(60):
        src.read()
    src.close()
    # Paced, 60 frames at 30 fps would take 2 s.
    assert time.monotonic() - t0 < 1.5


def test_pacer_keeps_schedule_and_does_not_burst_after_a_stall():
    now = [0.0]
    slept = []

    def sleep(d):
        slept.append(d)
        now[0] += d

    pacer = FramePacer(10.0, clock=lambda: now[0], sleep=sleep)
    assert pacer.wait() == 0.0  # first frame at once
    now[0] += 0.02  # work took 20 ms
    assert pacer.wait() == pytest.approx(0.08)  # due at 0.1
    now[0] += 5.0  # a long stall
    assert pacer.wait() == 0.0  # restarts from now instead of releasing 50 frames
    assert pacer.wait() == pytest.approx(0.1)


def test_missing_and_garbage_files_give_source_errors(tmp_path):
    with pytest.raises(SourceError) as e:
        VideoFileSource(tmp_path / "nope.mp4").open()
    assert "not found" in str(e.value) and e.value.hint
    bad = tmp_path / "bad.mp4"
    bad.write_bytes(b"not a video at all" * 100)
    with pytest.raises(SourceError) as e:
        VideoFileSource(bad).open()
    assert e.value.hint
    badimg = tmp_path / "bad.png"
    badimg.write_bytes(b"garbage")
    with pytest.raises(SourceError, match="cannot decode"):
        ImageSource(badimg).open()


def test_image_source_repeats_a_read_only_still(tmp_path):
    path = tmp_path / "stíll.png"  # non-ASCII on purpose
    pic = np.random.default_rng(1).integers(0, 255, (30, 40, 3), dtype=np.uint8)
    cv2.imencode(".png", pic)[1].tofile(str(path))
    src = ImageSource(path, fps=200)
    src.open()
    a, b = src.read(), src.read()
    src.close()
    assert src.is_live is False
    assert np.array_equal(a, pic) and a is b
    assert not a.flags.writeable


def test_camera_on_a_missing_device_names_what_exists(tmp_path):
    sysfs = tmp_path / "sys"
    node = sysfs / "class" / "video4linux" / "video2"
    node.mkdir(parents=True)
    (node / "name").write_text("Integrated Webcam\n")
    (node / "index").write_text("0\n")
    dev = tmp_path / "dev"
    dev.mkdir()
    src = CameraSource(7, sysfs=sysfs, dev=dev)
    t0 = time.monotonic()
    with pytest.raises(SourceError) as e:
        src.open()
    assert time.monotonic() - t0 < 2.0  # no long driver timeout for a device that is not there
    if sys.platform.startswith("linux"):
        assert "not found" in e.value.message
        assert "Integrated Webcam" in e.value.hint


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="device paths are Linux")
def test_camera_hints_on_this_machine():
    with pytest.raises(SourceError) as e:
        CameraSource("/dev/video63").open()
    assert "cameras found: none" in e.value.hint
    with pytest.raises(SourceError) as e:
        CameraSource(0).open()
    assert e.value.hint


def test_camera_hint_for_an_existing_device_without_permission(tmp_path):
    if not sys.platform.startswith("linux"):
        pytest.skip("permissions hint is for Linux device nodes")
    import os

    node = tmp_path / "video0"
    node.write_bytes(b"")
    node.chmod(0)
    if os.access(node, os.R_OK):
        pytest.skip("running as root: permissions are not enforced")
    from studio.capture.camera import camera_hint

    assert "'video' group" in camera_hint(str(node), sysfs=tmp_path, dev=tmp_path)


def test_list_cameras_reads_sysfs_and_skips_metadata_nodes(tmp_path):
    v4l = tmp_path / "class" / "video4linux"
    for n, name, index in [(0, "HD Webcam C920", "0"), (1, "HD Webcam C920", "1"), (4, "Studio", "0"),
                           (2, "USB Capture", None), (5, "Dummy video device (0x0000)", "0")]:
        d = v4l / f"video{n}"
        d.mkdir(parents=True)
        (d / "name").write_text(name + "\n")
        if index is not None:
            (d / "index").write_text(index)
    # A v4l2loopback device (our own output, labelled "Studio Output") must never be taken for a camera.
    virtual = tmp_path / "devices" / "virtual" / "video4linux" / "video7"
    virtual.mkdir(parents=True)
    (virtual / "name").write_text("Studio Output\n")
    (v4l / "video7").symlink_to(virtual)
    (v4l / "video4" / "max_openers").write_text("10\n")  # loopback attribute, named like a camera
    cams = list_cameras(sysfs=tmp_path, dev="/dev")
    assert [(c.index, c.name) for c in cams] == [(0, "HD Webcam C920"), (2, "USB Capture")]
    assert cams[0].path == "/dev/video0" and cams[0].uri == 0


def test_list_cameras_here_is_empty_and_quick():
    t0 = time.monotonic()
    assert list_cameras() == []
    assert time.monotonic() - t0 < 1.0


def test_synthetic_motions_differ_in_frame_difference():
    level = {}
    for motion in ("still", "slow", "moving", "fast"):
        src = SyntheticSource(320, 180, 30, motion=motion, realtime=False)
        src.open()
        frames = [src.read().astype(np.int16) for _ in range(12)]
        level[motion] = np.mean([np.abs(a - b).mean() for a, b in zip(frames, frames[1:])])
    assert level["still"] == 0.0
    assert 0 < level["slow"] < level["moving"] < level["fast"]


def test_synthetic_is_deterministic_and_truth_mask_matches_the_subject():
    a = SyntheticSource(320, 180, motion="moving", seed=3, realtime=False)
    b = SyntheticSource(320, 180, motion="moving", seed=3, realtime=False)
    a.open()
    b.open()
    for _ in range(5):
        fa, fb = a.read(), b.read()
    assert np.array_equal(fa, fb)
    mask = a.truth_mask()
    assert mask.shape == (180, 320) and mask.dtype == np.float32
    assert 0.05 < mask.mean() < 0.5
    # The subject is where the mask says: frames at two positions differ mostly inside the union of the masks.
    f0 = a.render(0).astype(np.int16)
    f9 = a.render(9).astype(np.int16)
    changed = np.abs(f0 - f9).max(axis=2) > 0
    union = (a.truth_mask(0) > 0) | (a.truth_mask(9) > 0)
    assert changed[~union].sum() == 0
    assert changed[union].mean() > 0.05
    # Frames are fresh arrays: a frame handed out is never overwritten by the next one.
    assert a.read() is not a.read()


def test_synthetic_noise_moves_a_still_scene_a_little():
    src = SyntheticSource(320, 180, motion="still", noise=3.0, realtime=False)
    src.open()
    f = [src.read().astype(np.int16) for _ in range(3)]
    d = np.abs(f[0] - f[1]).mean()
    assert 0.5 < d < 6
    assert np.array_equal(src.truth_mask(0), src.truth_mask(2))


def test_make_source_picks_the_kind(clip, tmp_path):
    s = make_source(SourceSettings(kind="auto", uri=""))
    assert isinstance(s, SyntheticSource)  # no camera on this machine
    assert isinstance(make_source(SourceSettings(kind="auto", uri=str(clip))), VideoFileSource)
    assert isinstance(make_source(SourceSettings(kind="auto", uri="/dev/video3")), CameraSource)
    assert isinstance(make_source(SourceSettings(kind="auto", uri="rtsp://cam.local/stream")), CameraSource)
    assert isinstance(make_source(SourceSettings(kind="image", uri=str(tmp_path / "x.png"))), ImageSource)
    cam = make_source(SourceSettings(kind="camera", uri="2", width=640, height=480, fps=15))
    assert isinstance(cam, CameraSource) and cam.uri == 2 and (cam.req_width, cam.req_fps) == (640, 15)
    syn = make_source(SourceSettings(kind="synthetic", uri="fast", width=320, height=240))
    assert syn.motion == "fast" and syn.size == (320, 240)
    for bad in (SourceSettings(kind="file"), SourceSettings(kind="synthetic", uri="wobbly")):
        with pytest.raises(SourceError):
            make_source(bad)


def test_shared_webcam_clip_plays(shared_data):
    path = sorted((shared_data / "video" / "asl").glob("*.mkv"))[0]
    src = VideoFileSource(path, loop=False, realtime=False)
    src.open()
    n = 0
    while (f := src.read()) is not None:
        n += 1
    src.close()
    assert f is None and n > 30
    assert src.size == (640, 480) and src.fps == pytest.approx(30.0)
