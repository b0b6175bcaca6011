"""Temperatures (sysfs thermal zones and hwmon, psutil, NVML, Jetson), memory and CPU load."""
