"""A fake Linux box under a temporary folder: sysfs, /dev, /proc, /etc and /lib/modules trees the doctor reads."""

from __future__ import annotations

import os
from pathlib import Path

from studio.doctor import Roots

KERNEL = "6.8.0-test"
EFI_GLOBAL = "8be4df61-93ca-11d2-aa0d-e37c80000000"


class FakeBox:
    def __init__(self, base: Path) -> None:
        self.base = base
        self.unwritable: set[str] = set()
        for d in ("sys/class/video4linux", "sys/module", "dev", "proc", "etc", f"lib/modules/{KERNEL}"):
            (base / d).mkdir(parents=True, exist_ok=True)

    def roots(self, **overrides) -> Roots:
        def access(path, mode):  # the suite may run as root, where os.access always says yes
            return Path(path).exists() and Path(path).name not in self.unwritable

        return Roots.under(self.base, kernel=KERNEL, access=access, **overrides)

    def _write(self, rel: str, text: str | bytes) -> Path:
        p = self.base / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(text if isinstance(text, bytes) else text.encode())
        return p

    def _video(self, device_dir: str, n: int, name: str, index: str) -> None:
        node = self.base / device_dir / "video4linux" / f"video{n}"
        node.mkdir(parents=True)
        (node / "name").write_text(name + "\n")
        (node / "index").write_text(index + "\n")
        os.symlink(os.path.relpath(node, self.base / "sys/class/video4linux"),
                   self.base / "sys/class/video4linux" / f"video{n}")
        self._write(f"dev/video{n}", b"")

    def camera(self, n: int = 0, name: str = "HD Pro Webcam C920", metadata_node: bool = True) -> None:
        """A UVC camera: a picture node and (like real UVC cameras) a metadata node right after it."""
        usb = "sys/devices/pci0000:00/0000:00:14.0/usb1/1-2/1-2:1.0"
        self._video(usb, n, name, "0")
        if metadata_node:
            self._video(usb, n + 1, name, "1")

    def loopback(self, n: int = 10, name: str = "Studio") -> None:
        self._video("sys/devices/virtual", n, name, "0")

    def module(self, version: str = "0.13.2", exclusive_caps: str = "Y,N,N,N,N,N,N,N",
               video_nr: str = "10,-1,-1,-1,-1,-1,-1,-1") -> None:
        self._write("sys/module/v4l2loopback/version", version + "\n")
        self._write("sys/module/v4l2loopback/parameters/exclusive_caps", exclusive_caps + "\n")
        self._write("sys/module/v4l2loopback/parameters/video_nr", video_nr + "\n")

    def module_file(self) -> None:
        """v4l2loopback built by DKMS for the running kernel, not loaded."""
        self._write(f"lib/modules/{KERNEL}/updates/dkms/v4l2loopback.ko.zst", b"\x28\xb5\x2f\xfd")

    def secure_boot(self, enabled: bool) -> None:
        self._write(f"sys/firmware/efi/efivars/SecureBoot-{EFI_GLOBAL}", b"\x06\x00\x00\x00" + bytes([int(enabled)]))

    def thermal_zone(self, i: int = 0, kind: str = "x86_pkg_temp", millic: int = 47000) -> None:
        self._write(f"sys/class/thermal/thermal_zone{i}/type", kind + "\n")
        self._write(f"sys/class/thermal/thermal_zone{i}/temp", f"{millic}\n")

    def pci_gpu(self, vendor: str, device: str = "0x1234", slot: str = "0000:01:00.0") -> None:
        self._write(f"sys/bus/pci/devices/{slot}/class", "0x030000\n")
        self._write(f"sys/bus/pci/devices/{slot}/vendor", vendor + "\n")
        self._write(f"sys/bus/pci/devices/{slot}/device", device + "\n")

    def nvidia_driver(self, version: str = "550.54.14") -> None:
        self._write("proc/driver/nvidia/version", f"NVRM version: NVIDIA UNIX x86_64 Kernel Module  {version}\n")

    def jetson(self) -> None:
        self._write("etc/nv_tegra_release", "# R36 (release), REVISION: 4.0, GCID: 1, BOARD: generic\n")
        self._write("proc/device-tree/model", "NVIDIA Jetson Orin Nano Developer Kit\x00")

    def render_node(self, n: int = 128) -> None:
        self._write(f"dev/dri/renderD{n}", b"")
