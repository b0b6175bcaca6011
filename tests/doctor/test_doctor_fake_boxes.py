"""`studio doctor` on fake boxes: the JSON for each case the issue names (fake sysfs, /dev, /proc trees)."""

from __future__ import annotations

import json
import threading

import pytest

from studio.doctor import run_checks
from studio.doctor.video import check_cameras, check_virtual_camera

from doctor_fakebox import FakeBox


def _report(box: FakeBox, probe=lambda uri: "640x480 MJPG", **kw):
    return run_checks(box.roots(**kw), load_model=False, camera_probe=probe).to_dict()


def _check(report: dict, check_id: str) -> dict:
    return next(c for c in report["checks"] if c["id"] == check_id)


@pytest.fixture
def box(tmp_path) -> FakeBox:
    return FakeBox(tmp_path / "box")


def test_bare_box_says_what_is_missing_and_blocks(box):
    r = _report(box)
    json.dumps(r)  # serialisable as is
    assert r["ok"] is False and r["exit_code"] == 1
    assert r["main_job"]["blocked_by"] == ["cameras"]
    cams = _check(r, "cameras")
    assert cams["status"] == "fail" and "no camera found" in cams["summary"] and cams["fix"]
    vcam = _check(r, "virtual_camera")
    assert vcam["status"] == "warn" and "not installed" in vcam["summary"]
    assert "setup-virtualcam.sh" in vcam["fix"] and vcam["fix"].startswith("sudo ")
    assert _check(r, "secure_boot")["data"]["state"] == "no-efi"
    assert _check(r, "sensors")["status"] == "warn"
    assert _check(r, "gpu")["status"] == "info" and "no GPU" in _check(r, "gpu")["summary"]
    assert {p["id"] for p in r["problems"]} == {"cameras", "virtual_camera", "sensors"}
    assert all(p["fix"] for p in r["problems"])


def test_ready_box_passes(box):
    box.camera(0)
    box.module()
    box.loopback(10)
    box.secure_boot(True)
    box.thermal_zone()
    r = _report(box)
    assert r["ok"] is True and r["exit_code"] == 0, r["problems"]
    cams = _check(r, "cameras")
    assert cams["status"] == "ok"
    assert [c["path"] for c in cams["data"]["cameras"]] == [str(box.base / "dev/video0")]  # metadata node skipped
    assert "delivers 640x480 MJPG" in cams["summary"]
    vcam = _check(r, "virtual_camera")
    assert vcam["status"] == "ok" and "v4l2loopback 0.13.2" in vcam["summary"]
    assert vcam["data"]["devices"][0] | {"path": None} == {
        "node": "video10", "path": None, "name": "Studio", "exists": True, "writable": True, "exclusive_caps": True}
    sb = _check(r, "secure_boot")
    assert sb["status"] == "info" and sb["data"]["state"] == "enabled" and "signed" in sb["summary"]
    assert _check(r, "sensors")["status"] == "ok" and "47.0 C" in _check(r, "sensors")["summary"]
    assert r["problems"] == []


def test_secure_boot_blocks_an_installed_unsigned_module(box):
    box.camera(0)
    box.module_file()
    box.secure_boot(True)
    r = _report(box)
    sb = _check(r, "secure_boot")
    assert sb["status"] == "warn" and "refuses the unsigned" in sb["summary"]
    assert "setup-virtualcam.sh" in sb["fix"] and "Enroll MOK" in sb["fix"]
    vcam = _check(r, "virtual_camera")
    assert vcam["status"] == "warn" and "installed but not loaded" in vcam["summary"] and "Secure Boot" in vcam["summary"]
    assert vcam["data"]["module"]["installed"] is True and vcam["data"]["module"]["loaded"] is False
    assert r["ok"] is True  # no virtual camera: the live job still runs (preview, recording)


def test_secure_boot_off_module_missing_is_only_not_installed(box):
    box.secure_boot(False)
    r = _report(box)
    assert _check(r, "secure_boot")["data"]["state"] == "disabled"
    assert _check(r, "secure_boot")["status"] == "info"


def test_secure_boot_read_through_mokutil_when_efivars_are_hidden(box):
    (box.base / "sys/firmware/efi").mkdir(parents=True)
    box.module_file()
    runner = lambda argv, timeout=3.0: (0, "SecureBoot enabled\n") if argv[0] == "mokutil" else None  # noqa: E731
    r = _report(box, run=runner)
    assert _check(r, "secure_boot")["data"] | {} == {"state": "enabled", "source": "mokutil", "sig_enforce": None}


def test_loopback_without_exclusive_caps_and_version_014(box):
    box.camera(0)
    box.module(version="0.14.0", exclusive_caps="N,N,N,N,N,N,N,N")
    box.loopback(10)
    vcam = _check(_report(box), "virtual_camera")
    assert vcam["status"] == "warn" and "exclusive_caps=1" in vcam["summary"] and "Chrome" in vcam["summary"]
    assert "setup-virtualcam.sh" in vcam["fix"]
    box2 = FakeBox(box.base.parent / "box2")
    box2.module(version="0.14.0")
    box2.loopback(10)
    ok = _check(_report(box2), "virtual_camera")
    assert ok["status"] == "ok" and "#622" in ok["summary"]


def test_exclusive_caps_follows_video_nr(box):
    box.module(exclusive_caps="N,Y", video_nr="3,7")
    box.loopback(3, "Other")
    box.loopback(7, "Studio")
    vcam = check_virtual_camera(box.roots()).data
    assert [(d["node"], d["exclusive_caps"]) for d in vcam["devices"]] == [("video3", False), ("video7", True)]


def test_permissions_video_group(box):
    box.camera(0)
    box.module()
    box.loopback(10)
    box.unwritable |= {"video0", "video10"}
    r = _report(box)
    for cid in ("cameras", "virtual_camera"):
        c = _check(r, cid)
        assert "may not" in c["summary"] and "usermod -aG video" in c["fix"], c
    assert _check(r, "cameras")["status"] == "fail" and r["exit_code"] == 1


def test_loaded_module_without_devices_and_wrong_configured_device(box):
    box.module()
    assert check_virtual_camera(box.roots()).summary.endswith("made no device")
    box.loopback(10)
    c = check_virtual_camera(box.roots(), wanted_device="/dev/video4")
    assert c.status == "warn" and "/dev/video4" in c.summary and "video10" in c.fix


def test_camera_probe_time_limit(box):
    box.camera(0)
    release = threading.Event()

    def hangs(uri):
        release.wait(5)
        return "late"

    try:
        c = check_cameras(box.roots(), probe=hangs, time_limit_s=0.2)
    finally:
        release.set()
    assert c.status == "fail" and "no picture within" in c.summary and "fuser" in c.fix


def test_camera_that_fails_to_deliver_and_a_named_camera(box):
    box.camera(0)

    def broken(uri):
        raise RuntimeError("camera 0 opened but delivers no picture")

    c = check_cameras(box.roots(), probe=broken)
    assert c.status == "fail" and "delivers no picture" in c.summary
    c = check_cameras(box.roots(), source_kind="camera", source_uri="/dev/video5", probe=lambda uri: "ok")
    assert c.status == "fail" and "'/dev/video5'" in c.summary and c.fix.startswith("studio cam --source 0")


def test_no_camera_is_fine_when_the_source_is_a_file_or_stream(box):
    for kind, uri in (("file", "talk.mp4"), ("camera", "rtsp://10.0.0.5/stream")):
        c = check_cameras(box.roots(), source_kind=kind, source_uri=uri, probe=None)
        assert c.status == "info" and "no camera found" in c.summary and not c.data["needed"]
