"""Cameras in, virtual camera out: what the live job reads from and writes to, and the Secure Boot state that can
keep the loopback module from loading."""

from __future__ import annotations

import threading
import time
from typing import Callable

from studio.doctor.kernel import LoopbackModule, SecureBoot, loopback_module, secure_boot
from studio.doctor.report import FAIL, INFO, OK, WARN, Check
from studio.doctor.roots import Roots, can_read_write, installer

# camera uri -> short description of the picture it delivered; raises (any Exception) when it delivers none.
CameraProbe = Callable[[object], str]
VIDEO_GROUP_FIX = "sudo usermod -aG video $USER, then log out and in again"
STREAM_PREFIXES = ("rtsp://", "rtsps://", "rtmp://", "http://", "https://", "udp://", "tcp://", "srt://")
OBS_BREAKING_VERSION = "0.14."  # v4l2loopback #622: OBS's own virtual camera output fails with 0.14.0


def open_camera_once(uri) -> str:
    """The real probe: open the camera, take one picture, close it."""
    from studio.capture.camera import CameraSource

    cam = CameraSource(uri, 640, 480, 30.0)
    cam.open()
    try:
        w, h = cam.size
        return f"{w}x{h} {cam.fourcc or ''}".strip()
    finally:
        cam.close()


def _within(limit_s: float, fn, *args):
    """fn(*args) on a helper thread, waited for at most limit_s: ("ok", value), ("error", exc) or ("timeout", None).
    A driver that hangs in open() keeps its (daemon) thread, but never the doctor."""
    box: dict = {}

    def target():
        try:
            box["value"] = fn(*args)
        except Exception as exc:  # noqa: BLE001 - any failure of a probe is a finding, reported to the user
            box["error"] = exc

    t = threading.Thread(target=target, name="studio-doctor-probe", daemon=True)
    t.start()
    t.join(limit_s)
    if t.is_alive():
        return "timeout", None
    return ("error", box["error"]) if "error" in box else ("ok", box.get("value"))


def _needs_camera(kind: str, uri: str) -> bool:
    return kind in ("auto", "camera") and not uri.lower().startswith(STREAM_PREFIXES)


def check_cameras(roots: Roots, *, source_kind: str = "auto", source_uri: str = "",
                  probe: CameraProbe | None = open_camera_once, time_limit_s: float = 3.0) -> Check:
    from studio.capture.camera import list_cameras

    needed = _needs_camera(source_kind, source_uri)
    missing = FAIL if needed else INFO
    if roots.linux:
        cams = list_cameras(roots.sys, roots.dev, probe=False)
    elif probe is None:
        return Check("cameras", "Cameras", INFO, "not listed (--no-probe: this system lists cameras only by "
                     "opening them)")
    else:
        state, value = _within(time_limit_s * 2, list_cameras, roots.sys, roots.dev)
        cams = value if state == "ok" else []
    rows = []
    deadline = time.monotonic() + time_limit_s * 2
    for cam in cams:
        row = {"index": cam.index, "path": cam.path, "name": cam.name, "access": True, "probe": None}
        if roots.linux:
            row["access"] = can_read_write(roots, roots.dev / cam.path.rsplit("/", 1)[-1])
        if probe is not None and row["access"]:
            state, value = _within(max(0.1, min(time_limit_s, deadline - time.monotonic())), probe, cam.uri)
            row["probe"] = {"ok": f"delivers {value}", "timeout": f"no picture within {time_limit_s:.0f} s",
                            "error": f"no picture: {str(value).splitlines()[0] if value else ''}"}[state]
            row["delivers"] = state == "ok"
        rows.append(row)
    data = {"cameras": rows, "source": {"kind": source_kind, "uri": source_uri}, "needed": needed}
    role = "the live job's input" if needed else f"not needed: the source is {source_kind} {source_uri}".strip()
    if not rows:
        fix = ("plug in a USB (UVC) camera and run `studio doctor` again; without one, "
               "`studio cam --source FILE|synthetic` runs on a video file or the demo scene")
        return Check("cameras", "Cameras", missing, f"no camera found ({role})", fix if needed else "", data)
    listing = ", ".join(f"{r['path']} ({r['name']})" for r in rows)
    usable = [r for r in rows if r["access"] and r.get("delivers", True)]
    if not any(r["access"] for r in rows):
        return Check("cameras", "Cameras", missing, f"found {listing}, but this user may not open them",
                     VIDEO_GROUP_FIX, data)
    if not usable:
        why = "; ".join(f"{r['path']}: {r['probe']}" for r in rows if r["probe"])
        return Check("cameras", "Cameras", missing, f"found {listing}, but none delivers a picture ({why})",
                     "close the app that holds the camera (`fuser -v /dev/video*` names it; if that is Studio's "
                     "own service, all is well: `systemctl --user status studio-cam`) or replug it", data)
    wanted = source_uri.strip()
    if needed and wanted and not any(wanted in (str(r["index"]), r["path"]) for r in usable):
        return Check("cameras", "Cameras", FAIL, f"the settings ask for camera {wanted!r}; found {listing}",
                     f"studio cam --source {usable[0]['index'] if usable[0]['index'] is not None else usable[0]['path']}"
                     " (or set source.uri in the settings file to one of those)", data)
    probed = " (" + "; ".join(f"{r['path']} {r['probe']}" for r in rows if r["probe"]) + ")" if any(
        r["probe"] for r in rows) else ""
    status = OK if len(usable) == len(rows) else WARN
    fix = "" if status == OK else VIDEO_GROUP_FIX if not all(r["access"] for r in rows) else \
        "close the app that holds the other camera (`fuser -v /dev/video*`) or replug it"
    return Check("cameras", "Cameras", status, f"{len(rows)} found: {listing}{probed}", fix, data)


def check_secure_boot(roots: Roots, module: LoopbackModule | None = None, sb: SecureBoot | None = None) -> Check:
    if not roots.linux:
        return Check("secure_boot", "Secure Boot", INFO, "not checked (it only matters for the Linux loopback module)")
    module = module or loopback_module(roots)
    sb = sb or secure_boot(roots)
    data = {"state": sb.state, "source": sb.source, "sig_enforce": sb.enforces_signatures}
    what = {"enabled": "enabled", "disabled": "disabled", "no-efi": "not an EFI boot (Secure Boot does not apply)",
            "unknown": "unknown (EFI, but neither efivars nor mokutil answered)"}[sb.state]
    if sb.blocks_unsigned_modules and not module.loaded and module.installed:
        return Check("secure_boot", "Secure Boot", WARN,
                     f"{what}: the kernel refuses the unsigned v4l2loopback module",
                     f"sudo {installer('linux/setup-virtualcam.sh')} (signs it with the DKMS key and enrols that "
                     "key: reboot and choose 'Enroll MOK' once)", data)
    note = "; the loopback module is loaded, so it is signed" if sb.state == "enabled" and module.loaded else ""
    return Check("secure_boot", "Secure Boot", INFO, what + note, "", data)


def _linux_vcam(roots: Roots, module: LoopbackModule, sb: SecureBoot, wanted: str) -> Check:
    script = f"sudo {installer('linux/setup-virtualcam.sh')}"
    data = {"module": {"loaded": module.loaded, "installed": module.installed, "version": module.version,
                       "exclusive_caps": module.exclusive_caps, "video_nr": module.video_nr},
            "devices": [d.__dict__ for d in module.devices], "secure_boot": sb.state}
    if not module.loaded:
        if not module.installed:
            return Check("virtual_camera", "Virtual camera", WARN,
                         "no virtual camera: v4l2loopback is not installed (preview and recording still work)",
                         script, data)
        why = " (Secure Boot refuses it unsigned: see secure_boot)" if sb.blocks_unsigned_modules else ""
        return Check("virtual_camera", "Virtual camera", WARN,
                     f"v4l2loopback is installed but not loaded{why}", script, data)
    version = f"v4l2loopback {module.version or '(version unknown)'}"
    if not module.devices:
        return Check("virtual_camera", "Virtual camera", WARN, f"{version} is loaded but made no device",
                     script, data)
    listing = ", ".join(f"{d.path} ({d.name})" for d in module.devices)
    notes = []
    if module.version and module.version.startswith(OBS_BREAKING_VERSION):
        notes.append("0.14 breaks OBS's own virtual camera output on OBS releases without obs-studio PR 11906 "
                     "(v4l2loopback #622); Studio's output is not affected")
    writable = [d for d in module.devices if d.writable]
    if wanted and not any(wanted in (d.path, d.node) for d in module.devices):
        return Check("virtual_camera", "Virtual camera", WARN,
                     f"the settings send to {wanted}, which is not a loopback device; {version}: {listing}",
                     f"set output.vcam_device to {module.devices[0].path} (or leave it empty for the first one)", data)
    if not writable:
        return Check("virtual_camera", "Virtual camera", WARN, f"{version}: {listing}, but this user may not "
                     "write to it", VIDEO_GROUP_FIX, data)
    if not any(d.exclusive_caps for d in writable):
        return Check("virtual_camera", "Virtual camera", WARN,
                     f"{version}: {listing} without exclusive_caps=1, so Chrome and WebRTC apps do not list it",
                     f"{script} (reloads the module with exclusive_caps=1)", data)
    summary = f"{version}: {listing}, writable, exclusive_caps=1" + (f"; note: {'; '.join(notes)}" if notes else "")
    return Check("virtual_camera", "Virtual camera", OK, summary, "", data)


def check_virtual_camera(roots: Roots, *, wanted_device: str = "", probe: bool = True,
                         module: LoopbackModule | None = None, sb: SecureBoot | None = None) -> Check:
    if roots.linux:
        return _linux_vcam(roots, module or loopback_module(roots), sb or secure_boot(roots), wanted_device)
    from studio.output.vcam import vcam_hint

    if not probe:
        return Check("virtual_camera", "Virtual camera", INFO, "not probed (--no-probe)")
    state, value = _within(5.0, _open_vcam_once)
    if state == "ok":
        return Check("virtual_camera", "Virtual camera", OK, f"pyvirtualcam opens {value}")
    why = "no answer within 5 s" if state == "timeout" else str(value).splitlines()[0]
    return Check("virtual_camera", "Virtual camera", WARN, f"no virtual camera: {why}",
                 vcam_hint(roots.platform) + f"; see {installer('windows-macos.md')}")


def _open_vcam_once() -> str:
    import pyvirtualcam

    with pyvirtualcam.Camera(width=320, height=240, fps=5) as cam:
        return f"{cam.device} ({cam.backend})"
