"""Linux temperatures from sysfs: thermal zones (every Linux box, Jetson included) and hwmon chips.

The root is injectable so tests run against a fake tree. A zone or channel that vanishes between listing and
reading, cannot be read (disabled zones answer ENODATA) or holds garbage is skipped, never raised.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

from studio.telemetry.readings import SensorReading, classify, plausible

log = logging.getLogger(__name__)


def _read(path: Path) -> str | None:
    try:
        with open(path, "rb") as fh:
            return fh.read(256).decode("ascii", errors="replace").strip()
    except OSError:
        return None


def _millidegrees(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = int(text) / 1000.0
    except ValueError:
        return None
    return value if plausible(value) else None


def _natural(path: Path) -> tuple:
    return tuple(int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.name))


def _listdir(folder: Path, pattern: str) -> list[Path]:
    try:
        return sorted(folder.glob(pattern), key=_natural)
    except OSError:
        return []


def read_thermal_zones(root: Path | str = "/sys") -> list[SensorReading]:
    """/sys/class/thermal/thermal_zone*/{type,temp}."""
    readings = []
    for zone in _listdir(Path(root) / "class" / "thermal", "thermal_zone*"):
        celsius = _millidegrees(_read(zone / "temp"))
        if celsius is None:
            continue
        name = _read(zone / "type") or zone.name
        readings.append(SensorReading("thermal", name, zone.name, celsius, classify(name)))
    return readings


def read_hwmon(root: Path | str = "/sys") -> list[SensorReading]:
    """/sys/class/hwmon/hwmon*/{name, temp*_input, temp*_label}."""
    readings = []
    for chip in _listdir(Path(root) / "class" / "hwmon", "hwmon*"):
        name = _read(chip / "name") or chip.name
        for inp in _listdir(chip, "temp*_input"):
            celsius = _millidegrees(_read(inp))
            if celsius is None:
                continue
            channel = inp.name[: -len("_input")]
            label = _read(chip / f"{channel}_label") or channel
            readings.append(SensorReading("hwmon", name, label, celsius, classify(name, label)))
    return readings
