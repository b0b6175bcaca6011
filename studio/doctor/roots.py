"""Where the doctor looks: the system trees (sysfs, /dev, /proc, /etc, /lib/modules) and how it runs a command.

Every probe reads through a Roots, so tests build a fake sysfs and /dev in a temporary folder and the real run reads
the real ones. Commands (mokutil, nvidia-smi) go through ``run_command`` with a time limit, and a test swaps it out.
"""

from __future__ import annotations

import os
import platform as _platform
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

# (argv, timeout_s) -> (exit code, stdout) or None when the program is not installed or did not finish in time.
Runner = Callable[[list[str], float], "tuple[int, str] | None"]


def run_command(argv: list[str], timeout: float = 3.0) -> tuple[int, str] | None:
    if shutil.which(argv[0]) is None:
        return None
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.returncode, (done.stdout or "") + (done.stderr or "")


@dataclass
class Roots:
    sys: Path = Path("/sys")
    dev: Path = Path("/dev")
    proc: Path = Path("/proc")
    etc: Path = Path("/etc")
    lib_modules: Path = Path("/lib/modules")
    platform: str = field(default_factory=lambda: sys.platform)
    kernel: str = field(default_factory=_platform.release)
    machine: str = field(default_factory=_platform.machine)
    run: Runner = run_command
    access: Callable[[Path, int], bool] = os.access  # tests running as root swap this to mean "not writable"

    @classmethod
    def under(cls, base: Path | str, **overrides) -> "Roots":
        """Every tree below ``base`` (base/sys, base/dev, ...): a fake box for tests; Linux unless overridden."""
        base = Path(base)
        values = dict(sys=base / "sys", dev=base / "dev", proc=base / "proc", etc=base / "etc",
                      lib_modules=base / "lib" / "modules", platform="linux", kernel="6.8.0-test", machine="x86_64",
                      run=lambda argv, timeout=3.0: None)
        values.update(overrides)
        return cls(**values)

    @property
    def linux(self) -> bool:
        return self.platform.startswith("linux")


def read_text(path: Path, limit: int = 4096) -> str | None:
    """A small sysfs/proc file, stripped; None when it is missing or unreadable (never raises)."""
    try:
        with open(path, "rb") as fh:
            return fh.read(limit).decode("utf-8", errors="replace").strip()
    except OSError:
        return None


def read_bytes(path: Path, limit: int = 64) -> bytes | None:
    try:
        with open(path, "rb") as fh:
            return fh.read(limit)
    except OSError:
        return None


def can_read_write(roots: Roots, path: Path) -> bool:
    return roots.access(path, os.R_OK | os.W_OK)


def installer(name: str) -> str:
    """How to call one of our installers/ scripts: its absolute path in a checkout or a release folder."""
    from studio.core import paths

    places = [Path(sys.prefix) / "share" / "studio" / "installers"]
    root = paths.checkout_root()
    if root is not None:
        places.insert(0, root / "installers")
    for base in places:
        if (base / name).is_file():
            return str(base / name)
    return f"installers/{name} (in the Studio source or release folder)"
