"""NVIDIA GPU temperatures through NVML (nvidia-ml-py, imported as pynvml, only when asked for).

Absent library, no driver or no GPU all end the same way: ``available`` False with a ``reason``, no readings. Jetson
boards have no NVML; their GPU temperature comes from the GPU-therm / gpu-thermal zone instead.
"""

from __future__ import annotations

import logging

from studio.telemetry.readings import SensorReading, plausible

log = logging.getLogger(__name__)


class NvmlTemperatures:
    """Initialises NVML on first use (once); ``read`` returns one reading per GPU."""

    def __init__(self) -> None:
        self._nvml = None
        self._handles: list[tuple[str, object]] = []
        self._tried = False
        self.available = False
        self.reason = "not probed yet"

    def _init(self) -> None:
        self._tried = True
        try:
            import pynvml
        except ImportError:
            self.reason = "nvidia-ml-py is not installed (pip install nvidia-ml-py)"
            return
        try:
            pynvml.nvmlInit()
            count = pynvml.nvmlDeviceGetCount()
            handles = []
            for i in range(count):
                h = pynvml.nvmlDeviceGetHandleByIndex(i)
                name = pynvml.nvmlDeviceGetName(h)
                if isinstance(name, bytes):  # older bindings return bytes
                    name = name.decode("utf-8", errors="replace")
                handles.append((f"{i}:{name}", h))
        except Exception as exc:  # noqa: BLE001 - pynvml raises NVMLError subclasses for "no driver", "no GPU"...
            self.reason = f"NVML unavailable: {exc}"
            return
        if not handles:
            self.reason = "NVML found no GPU"
            return
        self._nvml, self._handles = pynvml, handles
        self.available = True
        self.reason = ""

    def read(self) -> list[SensorReading]:
        if not self._tried:
            self._init()
        if not self.available:
            return []
        readings = []
        for label, handle in self._handles:
            try:
                celsius = float(self._nvml.nvmlDeviceGetTemperature(handle, self._nvml.NVML_TEMPERATURE_GPU))
            except Exception as exc:  # noqa: BLE001 - a GPU that fell off the bus: skip it this round
                log.debug("NVML temperature of %s failed: %s", label, exc)
                continue
            if plausible(celsius):
                name, _, model = label.partition(":")
                readings.append(SensorReading("nvml", model, f"gpu{name}", celsius, "gpu"))
        return readings

    def close(self) -> None:
        if self._nvml is not None:
            try:
                self._nvml.nvmlShutdown()
            except Exception as exc:  # noqa: BLE001 - shutting down a driver that is already gone
                log.debug("nvmlShutdown failed: %s", exc)
            self._nvml = None
            self.available = False
            self._tried = False
