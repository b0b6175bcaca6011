import sys
import time
import types

import pytest

from studio.telemetry import (SensorReading, TelemetryPoller, TelemetrySnapshot, TemperatureSensors, classify,
                              summarise)
from studio.telemetry.nvml import NvmlTemperatures
from studio.telemetry.sysfs import read_hwmon, read_thermal_zones


def zone(root, n, type_, temp):
    d = root / "class" / "thermal" / f"thermal_zone{n}"
    d.mkdir(parents=True)
    if type_ is not None:
        (d / "type").write_text(type_ + "\n")
    if temp is not None:
        (d / "temp").write_text(f"{temp}\n")
    return d


def hwmon(root, n, name, channels):
    d = root / "class" / "hwmon" / f"hwmon{n}"
    d.mkdir(parents=True)
    (d / "name").write_text(name + "\n")
    for ch, (value, label) in channels.items():
        (d / f"temp{ch}_input").write_text(f"{value}\n")
        if label is not None:
            (d / f"temp{ch}_label").write_text(label + "\n")
    return d


@pytest.fixture
def jetson(tmp_path):
    """Thermal zones as a Jetson Xavier/Nano lists them, plus garbage."""
    for n, (t, v) in enumerate([("AO-therm", 38500), ("CPU-therm", 47000), ("GPU-therm", 45500),
                                ("PLL-therm", 44000), ("PMIC-Die", 100000), ("thermal-fan-est", 46000)]):
        zone(tmp_path, n, t, v)
    zone(tmp_path, 6, "Tboard_tegra", "garbage")  # not a number
    zone(tmp_path, 7, "Tdiode_tegra", None)  # temp missing (disabled zone)
    zone(tmp_path, 8, "bogus", 255000)  # out of range
    zone(tmp_path, 10, "SOC0-therm", 49000)  # numbered after 8 and 9 (natural order)
    return tmp_path


def test_thermal_zones_of_a_jetson(jetson):
    readings = read_thermal_zones(jetson)
    assert [r.name for r in readings] == ["AO-therm", "CPU-therm", "GPU-therm", "PLL-therm", "PMIC-Die",
                                          "thermal-fan-est", "SOC0-therm"]
    kinds = {r.name: r.kind for r in readings}
    assert kinds["CPU-therm"] == "cpu" and kinds["GPU-therm"] == "gpu" and kinds["SOC0-therm"] == "other"
    assert readings[1].celsius == 47.0 and readings[1].label == "thermal_zone1"
    snap = summarise(readings, None, 0.0)
    assert (snap.cpu_temp_c, snap.gpu_temp_c) == (47.0, 45.5)
    assert snap.hottest_c == 49.0  # PMIC-Die's fixed 100 C is not a temperature


def test_jetson_orin_zone_names(tmp_path):
    for n, (t, v) in enumerate([("cpu-thermal", 51000), ("gpu-thermal", 48000), ("cv0-thermal", 47000),
                                ("soc0-thermal", 49000), ("tj-thermal", 52000)]):
        zone(tmp_path, n, t, v)
    snap = summarise(read_thermal_zones(tmp_path), None, 0.0)
    assert (snap.cpu_temp_c, snap.gpu_temp_c, snap.hottest_c) == (51.0, 48.0, 52.0)


def test_hwmon_chips_with_labels(tmp_path):
    hwmon(tmp_path, 0, "coretemp", {1: (61000, "Package id 0"), 2: (58000, "Core 0"), 3: (63000, "Core 1")})
    hwmon(tmp_path, 1, "nvme", {1: (41850, "Composite"), 2: ("-", "Sensor 1")})
    hwmon(tmp_path, 2, "amdgpu", {1: (55000, "edge"), 2: (66000, "junction")})
    hwmon(tmp_path, 3, "dell_smm", {1: (70000, "CPU"), 2: (52000, "GPU"), 3: (35000, "Ambient")})
    hwmon(tmp_path, 4, "acpitz", {1: (27800, None)})
    (tmp_path / "class" / "hwmon" / "hwmon5").mkdir()  # a chip with nothing in it
    readings = read_hwmon(tmp_path)
    got = {(r.name, r.label): (r.celsius, r.kind) for r in readings}
    assert got[("coretemp", "Package id 0")] == (61.0, "cpu")
    assert got[("coretemp", "Core 1")] == (63.0, "cpu")
    assert got[("nvme", "Composite")] == (41.85, "other")
    assert ("nvme", "Sensor 1") not in got  # garbage skipped
    assert got[("amdgpu", "junction")] == (66.0, "gpu")
    assert got[("dell_smm", "CPU")] == (70.0, "cpu") and got[("dell_smm", "GPU")] == (52.0, "gpu")
    assert got[("dell_smm", "Ambient")] == (35.0, "other")
    assert got[("acpitz", "temp1")] == (27.8, "other")  # no label: the channel name
    snap = summarise(readings, None, 0.0)
    assert (snap.cpu_temp_c, snap.gpu_temp_c, snap.hottest_c) == (70.0, 66.0, 70.0)


def test_a_sensor_file_that_disappears_is_skipped(tmp_path):
    zone(tmp_path, 0, "x86_pkg_temp", 55000)
    d = zone(tmp_path, 1, "acpitz", 40000)
    sensors = TemperatureSensors(tmp_path, use_nvml=False)
    assert len(sensors.read()) == 2
    (d / "temp").unlink()
    (d / "type").unlink()
    d.rmdir()
    readings = sensors.read()
    assert [(r.name, r.kind) for r in readings] == [("x86_pkg_temp", "cpu")]
    # A temp that is a directory (unreadable) is skipped too.
    zone(tmp_path, 2, "weird", None)
    (tmp_path / "class" / "thermal" / "thermal_zone2" / "temp").mkdir()
    assert len(sensors.read()) == 1


def test_no_sensors_at_all_is_none_not_zero(tmp_path):
    sensors = TemperatureSensors(tmp_path / "nothing-here", use_nvml=False)
    assert sensors.read() == []
    snap = summarise([], None, 1.0)
    assert snap.cpu_temp_c is None and snap.gpu_temp_c is None and snap.hottest_c is None
    assert not snap.has_temperatures


@pytest.mark.parametrize("name,label,kind", [
    ("k10temp", "Tctl", "cpu"), ("k10temp", "Tccd1", "cpu"), ("zenpower", "", "cpu"),
    ("cpu_thermal", "", "cpu"), ("soc_dts0", "", "cpu"), ("x86_pkg_temp", "", "cpu"),
    ("nouveau", "", "gpu"), ("radeon", "", "gpu"), ("thinkpad", "GPU", "gpu"), ("thinkpad", "CPU", "cpu"),
    ("iwlwifi_1", "", "other"), ("pch_cannonlake", "", "other"), ("nvme", "Composite", "other"),
    ("SOC1-therm", "", "other"), ("Tboard_tegra", "", "other"), ("acpitz", "", "other"),
])
def test_classification(name, label, kind):
    assert classify(name, label) == kind


def test_real_machine_gives_a_snapshot_without_crashing():
    poller = TelemetryPoller(interval=0.5)
    snap = poller.poll()
    assert isinstance(snap, TelemetrySnapshot)
    assert snap.rss_mb > 10 and 0 <= snap.mem_used_percent <= 100 and snap.process_cpu_s > 0
    if not snap.readings:  # this build machine has no sensors: "unavailable", not a number
        assert snap.cpu_temp_c is None and snap.hottest_c is None
    d = snap.to_dict()
    assert set(d) >= {"cpu_temp_c", "gpu_temp_c", "hottest_c", "rss_mb", "cpu_percent", "sensors"}


def test_poller_thread_polls_and_stops_promptly(tmp_path):
    zone(tmp_path, 0, "CPU-therm", 40000)
    seen = []
    poller = TelemetryPoller(interval=0.05, sensors=TemperatureSensors(tmp_path, use_nvml=False),
                             on_snapshot=seen.append)
    assert poller.latest().cpu_temp_c is None  # before the first poll
    poller.start()
    try:
        deadline = time.monotonic() + 5
        while poller.polls < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert poller.latest().cpu_temp_c == 40.0
        (tmp_path / "class" / "thermal" / "thermal_zone0" / "temp").write_text("72500\n")
        while poller.latest().cpu_temp_c != 72.5 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert poller.latest().cpu_temp_c == 72.5  # it follows the sensor
    finally:
        poller.interval = 60.0
        assert poller.close(2.0)  # a long interval wait is woken by stop
    assert len(seen) == poller.polls >= 3
    assert seen[-1].t >= seen[0].t


def test_nvml_without_the_library_is_unavailable(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", None)  # import fails as if not installed
    nv = NvmlTemperatures()
    assert nv.read() == [] and not nv.available
    assert "nvidia-ml-py" in nv.reason


def _fake_pynvml(temps, fail_init=False):
    """Stands in for NVML, which cannot run on this machine (no NVIDIA driver); same calls as nvidia-ml-py."""
    m = types.ModuleType("pynvml")
    m.NVML_TEMPERATURE_GPU = 0

    class NVMLError(Exception):
        pass

    def init():
        if fail_init:
            raise NVMLError("Driver Not Loaded")

    m.nvmlInit = init
    m.nvmlShutdown = lambda: None
    m.nvmlDeviceGetCount = lambda: len(temps)
    m.nvmlDeviceGetHandleByIndex = lambda i: i
    m.nvmlDeviceGetName = lambda h: b"NVIDIA RTX A2000" if h == 0 else "Tesla T4"

    def temp(h, kind):
        if temps[h] is None:
            raise NVMLError("GPU is lost")
        return temps[h]

    m.nvmlDeviceGetTemperature = temp
    return m


def test_nvml_adapter_logic(monkeypatch):
    monkeypatch.setitem(sys.modules, "pynvml", _fake_pynvml([61, None]))
    nv = NvmlTemperatures()
    readings = nv.read()
    assert nv.available
    assert readings == [SensorReading("nvml", "NVIDIA RTX A2000", "gpu0", 61.0, "gpu")]  # the lost GPU is skipped
    nv.close()
    monkeypatch.setitem(sys.modules, "pynvml", _fake_pynvml([60], fail_init=True))
    nv = NvmlTemperatures()
    assert nv.read() == [] and "Driver Not Loaded" in nv.reason


def test_a_broken_source_does_not_hide_the_others(tmp_path, monkeypatch):
    zone(tmp_path, 0, "CPU-therm", 40000)
    sensors = TemperatureSensors(tmp_path, use_nvml=True)

    def boom():
        raise RuntimeError("driver crashed")

    monkeypatch.setattr(sensors.nvml, "read", boom)
    assert [r.name for r in sensors.read()] == ["CPU-therm"]
