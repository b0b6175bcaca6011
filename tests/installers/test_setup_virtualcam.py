"""installers/linux/setup-virtualcam.sh: shellcheck-clean, and its --dry-run on fake /sys, /etc, /var and home trees
prints every step for each state (fresh box, set up already, Secure Boot with a key to enrol, wrong options), changes
nothing and needs no root. The systemd units it installs pass `systemd-analyze verify`."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "installers" / "linux" / "setup-virtualcam.sh"
UNITS = REPO / "installers" / "linux" / "systemd"
EFI_GLOBAL = "8be4df61-93ca-11d2-aa0d-e37c80000000"

FAKE_ID = """#!/bin/sh
# groups of the target user come from $FAKE_GROUPS; everything else from the real id
if [ "$1" = "-nG" ]; then echo "$2 $FAKE_GROUPS"; else exec /usr/bin/env -u PATH /usr/bin/id "$@"; fi
"""
FAKE_MOKUTIL = """#!/bin/sh
case "$1" in
  --sb-state) echo "SecureBoot enabled" ;;
  --test-key) echo "$2 is not enrolled" ;;
  *) echo "fake mokutil must not be called with $*" >&2; exit 3 ;;
esac
"""
FAKE_MODINFO = """#!/bin/sh
[ -n "$FAKE_MODULE" ] || exit 1
[ "$1" = "-F" ] && echo "0.13.2"
exit 0
"""
# Anything that would change the system fails loudly if the dry run ever calls it.
FORBIDDEN = ("apt-get", "dnf", "pacman", "modprobe", "usermod", "install", "akmods")


def _exe(path: Path, text: str) -> None:
    path.write_text(text)
    path.chmod(path.stat().st_mode | stat.S_IEXEC | stat.S_IXGRP | stat.S_IXOTH | stat.S_IRGRP | stat.S_IROTH)


@pytest.fixture
def fake(tmp_path):
    for d in ("sys", "etc", "var", "home", "bin"):
        (tmp_path / d).mkdir()
    _exe(tmp_path / "bin" / "id", FAKE_ID)
    _exe(tmp_path / "bin" / "modinfo", FAKE_MODINFO)
    for name in FORBIDDEN:
        _exe(tmp_path / "bin" / name, f"#!/bin/sh\necho 'dry run called {name}' >&2\nexit 99\n")
    _exe(tmp_path / "bin" / "apt-get", "#!/bin/sh\necho 'dry run called apt-get' >&2\nexit 99\n")
    return tmp_path


def _dry_run(fake: Path, *args: str, groups: str = "", module_file: bool = False, as_nobody: bool = False):
    env = {"PATH": f"{fake / 'bin'}:/usr/bin:/bin", "SETUP_SYS": str(fake / "sys"), "SETUP_ETC": str(fake / "etc"),
           "SETUP_VAR": str(fake / "var"), "SETUP_HOME": str(fake / "home"), "FAKE_GROUPS": groups,
           "FAKE_MODULE": "1" if module_file else "", "LC_ALL": "C"}
    user = "nobody" if as_nobody else subprocess.run(["id", "-un"], capture_output=True, text=True).stdout.strip()
    argv = ["bash", str(SCRIPT), "--dry-run", "--user", user, "--studio", "/opt/studio/studio", *args]
    if as_nobody:
        argv = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", *argv]
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=60)
    return done


def _tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


def test_shellcheck_clean():
    if shutil.which("shellcheck") is None:
        pytest.skip("shellcheck is not installed (apt-get install shellcheck)")
    done = subprocess.run(["shellcheck", "--severity=style", str(SCRIPT)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_help_lists_the_options():
    done = subprocess.run(["bash", str(SCRIPT), "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "--dry-run" in done.stdout and "exclusive_caps=1" in done.stdout


def test_dry_run_on_a_fresh_box_prints_every_step_and_changes_nothing(fake):
    before = _tree(fake)
    done = _dry_run(fake)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    for step in range(1, 8):
        assert f"==> {step}. " in out
    assert "[dry-run] apt-get install -y v4l2loopback-dkms v4l2loopback-utils linux-headers-" in out
    assert f"[dry-run] write {fake}/etc/modprobe.d/studio-v4l2loopback.conf" in out
    assert 'options v4l2loopback devices=1 video_nr=10 card_label="Studio" exclusive_caps=1' in out
    assert f"[dry-run] write {fake}/etc/modules-load.d/studio-v4l2loopback.conf" in out
    assert "not an EFI boot" in out
    assert "[dry-run] modprobe v4l2loopback" in out
    assert "[dry-run] usermod -aG video" in out
    assert f"[dry-run] write {fake}/home/.config/systemd/user/studio-cam.service" in out
    assert "ExecStart=/opt/studio/studio cam --source ${STUDIO_CAM_SOURCE} --vcam $STUDIO_CAM_ARGS" in out
    assert "ExecStart=/opt/studio/studio serve $STUDIO_SERVE_ARGS" in out
    assert out.count("Restart=on-failure") == 2
    assert "dry run called" not in done.stderr
    assert _tree(fake) == before


def test_dry_run_options(fake):
    out = _dry_run(fake, "--video-nr", "7", "--label", "Shop Cam", "--no-units").stdout
    assert 'video_nr=7 card_label="Shop Cam" exclusive_caps=1' in out and "==> 7." not in out
    bad = _dry_run(fake, "--video-nr", "seven")
    assert bad.returncode == 1 and "must be a number" in bad.stderr


def test_second_run_on_a_set_up_box_does_nothing(fake):
    """Idempotent: configuration in place and the module loaded as configured -> no command at all."""
    conf = {"modprobe.d": 'options v4l2loopback devices=1 video_nr=10 card_label="Studio" exclusive_caps=1',
            "modules-load.d": "v4l2loopback"}
    for sub, line in conf.items():
        (fake / "etc" / sub).mkdir()
        (fake / "etc" / sub / "studio-v4l2loopback.conf").write_text(
            f"# Written by Studio's setup-virtualcam.sh\n{line}\n")
    params = fake / "sys" / "module" / "v4l2loopback" / "parameters"
    params.mkdir(parents=True)
    (params / "exclusive_caps").write_text("Y,N,N,N,N,N,N,N\n")
    (params / "video_nr").write_text("10,-1,-1,-1,-1,-1,-1,-1\n")
    done = _dry_run(fake, "--no-units", groups="video", module_file=True)
    assert done.returncode == 0, done.stderr
    assert "[dry-run]" not in done.stdout, done.stdout
    assert done.stdout.count("already in place") == 2
    assert "already loaded with exclusive_caps=1 and /dev/video10" in done.stdout
    assert "in the 'video' group already" in done.stdout
    # The same box with the module loaded without exclusive_caps: reload it.
    (params / "exclusive_caps").write_text("N,N,N,N,N,N,N,N\n")
    out = _dry_run(fake, "--no-units", groups="video", module_file=True).stdout
    assert "[dry-run] modprobe -r v4l2loopback" in out and "exclusive_caps=N" in out


def test_secure_boot_enrols_the_dkms_key(fake):
    efivars = fake / "sys" / "firmware" / "efi" / "efivars"
    efivars.mkdir(parents=True)
    (efivars / f"SecureBoot-{EFI_GLOBAL}").write_bytes(b"\x06\x00\x00\x00\x01")
    _exe(fake / "bin" / "mokutil", FAKE_MOKUTIL)
    out = _dry_run(fake, "--no-units").stdout
    assert "no DKMS signing key yet" in out  # before DKMS built the module
    key = fake / "var" / "lib" / "dkms" / "mok.pub"
    key.parent.mkdir(parents=True)
    key.write_bytes(b"0\x82")
    done = _dry_run(fake, "--no-units", module_file=True)
    assert done.returncode == 0, done.stderr
    assert f"[dry-run] mokutil --import {key}" in done.stdout
    assert "Enroll MOK" in done.stdout and "reboot now" in done.stdout
    assert "skipped until the key is enrolled" in done.stdout and "[dry-run] modprobe" not in done.stdout


def test_dry_run_needs_no_root_and_a_real_run_does(fake):
    if os.geteuid() != 0:
        done = _dry_run(fake)
        assert done.returncode == 0, done.stderr
        real = subprocess.run(["bash", str(SCRIPT)], capture_output=True, text=True)
        assert real.returncode == 1 and "run it as root" in real.stderr
        return
    if shutil.which("setpriv") is None:
        pytest.skip("running as root and setpriv is absent: cannot drop to an unprivileged user")
    os.chmod(fake, 0o755)
    for p in fake.rglob("*"):
        p.chmod(p.stat().st_mode | stat.S_IROTH | (stat.S_IXOTH if p.is_dir() else 0))
    fake.parent.chmod(fake.parent.stat().st_mode | stat.S_IXOTH)
    done = _dry_run(fake, as_nobody=True)
    if "Permission denied" in done.stderr and "setup-virtualcam.sh" in done.stderr:
        pytest.skip("the checkout is not readable by the unprivileged user")
    assert done.returncode == 0, done.stderr
    assert "==> 7. " in done.stdout
    real = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", "bash", str(SCRIPT)],
                          capture_output=True, text=True)
    assert real.returncode == 1 and "run it as root" in real.stderr


@pytest.mark.parametrize("unit", ["studio-cam.service", "studio-serve.service"])
def test_units_verify(tmp_path, unit):
    text = (UNITS / unit).read_text().replace("@STUDIO@", "/bin/true").replace("@DOCS@", str(UNITS / unit))
    assert "Restart=on-failure" in text and "WantedBy=default.target" in text
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not installed")
    (tmp_path / unit).write_text(text)
    done = subprocess.run(["systemd-analyze", "verify", str(tmp_path / unit)], capture_output=True, text=True)
    assert done.returncode == 0 and unit not in done.stderr, done.stderr
