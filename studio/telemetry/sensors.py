"""All temperature sources of this box behind one ``read()``: sysfs, psutil where sysfs has nothing, NVML."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from studio.telemetry.nvml import NvmlTemperatures
from studio.telemetry.readings import SensorReading, classify, plausible
from studio.telemetry.sysfs import read_hwmon, read_thermal_zones

log = logging.getLogger(__name__)


def read_psutil() -> list[SensorReading]:
    """psutil.sensors_temperatures (Linux, FreeBSD); absent on Windows and macOS."""
    import psutil

    fn = getattr(psutil, "sensors_temperatures", None)
    if fn is None:
        return []
    readings = []
    for chip, entries in (fn() or {}).items():
        for e in entries:
            celsius = float(e.current) if e.current is not None else float("nan")
            if plausible(celsius):
                readings.append(SensorReading("psutil", chip, e.label or "", celsius, classify(chip, e.label or "")))
    return readings


class TemperatureSensors:
    """``read()`` lists every temperature found right now. Each source is guarded on its own: one that fails is
    logged once and the others still count.

    sysfs is read directly on Linux (psutil reads the same hwmon files; it is used only where sysfs gave nothing).
    """

    def __init__(self, sysfs_root: Path | str = "/sys", *, use_psutil: bool = True, use_nvml: bool = True) -> None:
        self.sysfs_root = Path(sysfs_root)
        self.use_psutil = use_psutil
        self.nvml = NvmlTemperatures() if use_nvml else None
        self._failed: set[str] = set()

    def _guard(self, what: str, fn) -> list[SensorReading]:
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - telemetry must never take the app down; logged once per source
            if what not in self._failed:
                self._failed.add(what)
                log.warning("temperature source %s failed: %s", what, exc)
            return []

    def read(self) -> list[SensorReading]:
        readings = self._guard("thermal", lambda: read_thermal_zones(self.sysfs_root))
        readings += self._guard("hwmon", lambda: read_hwmon(self.sysfs_root))
        if not readings and self.use_psutil and not sys.platform.startswith("linux"):
            readings += self._guard("psutil", read_psutil)
        if self.nvml is not None:
            readings += self._guard("nvml", self.nvml.read)
        return readings

    def close(self) -> None:
        if self.nvml is not None:
            self.nvml.close()
