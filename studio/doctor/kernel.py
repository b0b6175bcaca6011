"""Linux kernel facts for the virtual camera: the v4l2loopback module and its devices, and Secure Boot.

Read from sysfs, /dev and /lib/modules only (no root, no device opened), so they are instant and testable on fake trees.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from studio.doctor.roots import Roots, can_read_write, read_bytes, read_text

MODULE = "v4l2loopback"
EFI_GLOBAL = "8be4df61-93ca-11d2-aa0d-e37c80000000"


@dataclass
class LoopbackDevice:
    node: str  # "video10"
    path: str  # "/dev/video10"
    name: str  # card label
    exists: bool
    writable: bool
    exclusive_caps: bool | None  # None: the module does not say for this device


@dataclass
class LoopbackModule:
    loaded: bool
    installed: bool  # a module file for the running kernel (modules.dep or the DKMS/extra folders)
    version: str | None
    exclusive_caps: list[bool] = field(default_factory=list)
    video_nr: list[int] = field(default_factory=list)
    devices: list[LoopbackDevice] = field(default_factory=list)


def _natural(name: str) -> tuple:
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name))


def _bools(text: str | None) -> list[bool]:
    return [t.strip().upper() in ("Y", "1") for t in text.split(",")] if text else []


def _ints(text: str | None) -> list[int]:
    out = []
    for t in (text or "").split(","):
        try:
            out.append(int(t))
        except ValueError:
            continue
    return out


def is_loopback_node(entry: Path, name: str) -> bool:
    """A video4linux node made by v4l2loopback: it lives under /sys/devices/virtual (real cameras hang off a bus)."""
    if "loopback" in name.lower() or name.startswith("Dummy video device") or (entry / "max_openers").exists():
        return True
    try:
        return "/devices/virtual/" in str(entry.resolve())
    except OSError:
        return False


def video_nodes(roots: Roots) -> list[tuple[Path, str]]:
    """(sysfs entry, name) of every /sys/class/video4linux/video* node, in number order."""
    v4l = roots.sys / "class" / "video4linux"
    try:
        entries = [e for e in v4l.iterdir() if re.fullmatch(r"video\d+", e.name)]
    except OSError:
        return []
    entries.sort(key=lambda e: _natural(e.name))
    return [(e, read_text(e / "name") or e.name) for e in entries]


def module_installed(roots: Roots) -> bool:
    base = roots.lib_modules / roots.kernel
    dep = read_text(base / "modules.dep", limit=1 << 24) or ""
    if f"/{MODULE}.ko" in dep or dep.startswith(f"{MODULE}.ko"):
        return True
    for sub in ("updates", "extra", "kernel/drivers/media"):
        try:
            if any((base / sub).rglob(f"{MODULE}.ko*")):
                return True
        except OSError:
            continue
    return False


def loopback_module(roots: Roots) -> LoopbackModule:
    mod = roots.sys / "module" / MODULE
    params = mod / "parameters"
    loaded = mod.is_dir()
    info = LoopbackModule(loaded=loaded, installed=loaded or module_installed(roots),
                          version=read_text(mod / "version") if loaded else None,
                          exclusive_caps=_bools(read_text(params / "exclusive_caps")),
                          video_nr=_ints(read_text(params / "video_nr")))
    loop_nodes = [(e, n) for e, n in video_nodes(roots) if is_loopback_node(e, n)]
    for order, (entry, name) in enumerate(loop_nodes):
        number = int(entry.name[len("video"):])
        # exclusive_caps is per device in load order; video_nr says which slot made /dev/videoN when it was fixed.
        slot = info.video_nr.index(number) if number in info.video_nr else order
        caps = info.exclusive_caps[slot] if slot < len(info.exclusive_caps) else None
        dev = roots.dev / entry.name
        info.devices.append(LoopbackDevice(entry.name, str(dev), name, dev.exists(),
                                           dev.exists() and can_read_write(roots, dev), caps))
    return info


@dataclass
class SecureBoot:
    state: str  # "enabled", "disabled", "no-efi" (legacy BIOS, many VMs and containers), "unknown"
    source: str  # where it was read: efivars, mokutil, or "" when nothing said
    enforces_signatures: bool | None  # /sys/module/module/parameters/sig_enforce, when the kernel exposes it

    @property
    def blocks_unsigned_modules(self) -> bool:
        return self.state == "enabled" or bool(self.enforces_signatures)


def secure_boot(roots: Roots) -> SecureBoot:
    sig = read_text(roots.sys / "module" / "module" / "parameters" / "sig_enforce")
    enforces = None if sig is None else sig.upper() in ("Y", "1")
    efi = roots.sys / "firmware" / "efi"
    raw = read_bytes(efi / "efivars" / f"SecureBoot-{EFI_GLOBAL}")
    if raw is not None and len(raw) >= 5:  # 4 bytes of attributes, then the value
        return SecureBoot("enabled" if raw[4] == 1 else "disabled", "efivars", enforces)
    answer = roots.run(["mokutil", "--sb-state"], 3.0)
    if answer is not None:
        text = answer[1].lower()
        if "enabled" in text:
            return SecureBoot("enabled", "mokutil", enforces)
        if "disabled" in text:
            return SecureBoot("disabled", "mokutil", enforces)
        if "not supported" in text:
            return SecureBoot("no-efi", "mokutil", enforces)
    if not efi.is_dir():
        return SecureBoot("no-efi", "sysfs", enforces)
    return SecureBoot("unknown", "", enforces)
