"""The telemetry thread: polls temperatures and load at 1-2 Hz and keeps the newest snapshot for the UI, the
thermal governor and /health."""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Callable

from studio.core.worker import Worker
from studio.telemetry.readings import SensorReading
from studio.telemetry.sensors import TemperatureSensors
from studio.telemetry.system import SystemLoad, SystemMonitor

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TelemetrySnapshot:
    """Temperatures are None when the box has no such sensor ("unavailable" in the UI), never a made-up 0."""

    cpu_temp_c: float | None
    gpu_temp_c: float | None
    hottest_c: float | None
    readings: list[SensorReading] = field(default_factory=list)
    rss_mb: float = 0.0
    cpu_percent: float = 0.0
    process_cpu_s: float = 0.0
    t: float = 0.0  # time.monotonic() when taken
    mem_used_percent: float = 0.0
    process_cpu_percent: float = 0.0

    @property
    def has_temperatures(self) -> bool:
        return self.hottest_c is not None

    def to_dict(self) -> dict:
        """Plain data for /health and logs."""
        return {
            "cpu_temp_c": self.cpu_temp_c, "gpu_temp_c": self.gpu_temp_c, "hottest_c": self.hottest_c,
            "rss_mb": round(self.rss_mb, 1), "mem_used_percent": self.mem_used_percent,
            "cpu_percent": self.cpu_percent, "process_cpu_percent": self.process_cpu_percent,
            "process_cpu_s": round(self.process_cpu_s, 2),
            "sensors": [{"source": r.source, "name": r.name, "label": r.label, "celsius": r.celsius,
                         "kind": r.kind} for r in self.readings],
        }


def _max(values: list[float]) -> float | None:
    return max(values) if values else None


def summarise(readings: list[SensorReading], load: SystemLoad | None, t: float) -> TelemetrySnapshot:
    """CPU and GPU are the hottest reading of their kind (a package sensor and per-core sensors agree on the
    maximum); ``hottest_c`` is over every real sensor, which is what a thermal governor should watch."""
    cpu = _max([r.celsius for r in readings if r.kind == "cpu"])
    gpu = _max([r.celsius for r in readings if r.kind == "gpu"])
    hottest = _max([r.celsius for r in readings if r.counts_for_hottest])
    if load is None:
        return TelemetrySnapshot(cpu, gpu, hottest, list(readings), t=t)
    return TelemetrySnapshot(cpu, gpu, hottest, list(readings), rss_mb=load.rss_mb, cpu_percent=load.cpu_percent,
                             process_cpu_s=load.process_cpu_s, t=t, mem_used_percent=load.mem_used_percent,
                             process_cpu_percent=load.process_cpu_percent)


class TelemetryPoller(Worker):
    """Polls every ``interval`` seconds (0.5-1 s); ``latest()`` never blocks. ``on_snapshot`` is called on the
    telemetry thread with each new snapshot."""

    def __init__(self, interval: float = 1.0, *, sensors: TemperatureSensors | None = None,
                 on_snapshot: Callable[[TelemetrySnapshot], None] | None = None) -> None:
        super().__init__("telemetry")
        if interval <= 0:
            raise ValueError("interval must be positive")
        self.interval = interval
        self.sensors = sensors if sensors is not None else TemperatureSensors()
        self.on_snapshot = on_snapshot
        self._monitor: SystemMonitor | None = None
        self._latest = TelemetrySnapshot(None, None, None)
        self._lock = threading.Lock()
        self._poke = threading.Event()
        self.polls = 0

    def latest(self) -> TelemetrySnapshot:
        with self._lock:
            return self._latest

    def poll(self) -> TelemetrySnapshot:
        """One reading now (also usable without the thread, e.g. `studio doctor`)."""
        if self._monitor is None:
            self._monitor = SystemMonitor()
        readings = self.sensors.read()
        try:
            load = self._monitor.sample()
        except Exception as exc:  # noqa: BLE001 - psutil can fail in odd sandboxes; temperatures still count
            log.warning("system load unavailable: %s", exc)
            load = None
        snap = summarise(readings, load, time.monotonic())
        with self._lock:
            self._latest = snap
        self.polls += 1
        if self.on_snapshot is not None:
            try:
                self.on_snapshot(snap)
            except Exception:  # noqa: BLE001 - a listener bug must not stop telemetry; logged
                log.exception("telemetry listener failed")
        return snap

    def _setup(self) -> None:
        self.poll()

    def _wake(self) -> None:
        self._poke.set()

    def _run_once(self) -> bool:
        if self._poke.wait(self.interval):
            return not self.stopping
        self.poll()
        return True

    def _teardown(self) -> None:
        self.sensors.close()
