"""Temperatures (sysfs thermal zones and hwmon, psutil, NVML, Jetson), memory and CPU load."""

from studio.telemetry.poller import TelemetryPoller, TelemetrySnapshot, summarise
from studio.telemetry.readings import SensorReading, classify
from studio.telemetry.sensors import TemperatureSensors
from studio.telemetry.system import SystemLoad, SystemMonitor

__all__ = ["SensorReading", "SystemLoad", "SystemMonitor", "TelemetryPoller", "TelemetrySnapshot",
           "TemperatureSensors", "classify", "summarise"]
