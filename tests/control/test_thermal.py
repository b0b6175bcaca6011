"""ThermalGovernor with a fake sensor: throttles above the threshold, restores below it minus the hysteresis."""

from __future__ import annotations

from studio.config.settings import ThermalSettings
from studio.control.gate import MotionGate
from studio.control.thermal import ThermalGovernor


class FakeSensor:
    def __init__(self, value=None):
        self.value = value
        self.reads = 0

    def __call__(self):
        self.reads += 1
        if isinstance(self.value, Exception):
            raise self.value
        return self.value


def governor(sensor, **kw):
    return ThermalGovernor(ThermalSettings(threshold_c=75.0, hysteresis_c=5.0, poll_s=1.0), sensor,
                           throttled_tier="moderate", throttled_area=320 * 240, clock=lambda: 0.0, **kw)


def test_caps_above_threshold_and_restores_below_hysteresis():
    sensor = FakeSensor(60.0)
    gov = governor(sensor)
    st = gov.update(0.0)
    assert st.state == "normal" and st.tier_cap == "fast" and st.max_area is None and st.temp_c == 60.0
    sensor.value = 76.0
    st = gov.update(1.0)
    assert st.throttled and st.tier_cap == "moderate" and st.max_area == 320 * 240 and st.since == 1.0
    sensor.value = 72.0  # below the threshold but within the hysteresis band: still throttled
    st = gov.update(2.0)
    assert st.throttled and st.since == 1.0
    sensor.value = 70.0  # threshold - hysteresis: restored
    st = gov.update(3.0)
    assert st.state == "normal" and st.tier_cap == "fast" and st.max_area is None and st.since == 3.0


def test_reads_the_sensor_at_most_every_poll_interval():
    sensor = FakeSensor(50.0)
    gov = governor(sensor)
    for t in (0.0, 0.2, 0.5, 0.99):
        gov.update(t)
    assert sensor.reads == 1
    gov.update(1.0)
    assert sensor.reads == 2


def test_no_sensor_is_unknown_and_never_throttles():
    gov = governor(None)
    st = gov.update(0.0)
    assert st.state == "unknown" and st.tier_cap == "fast" and st.temp_c is None


def test_a_failing_sensor_keeps_a_throttle_in_force():
    sensor = FakeSensor(80.0)
    gov = governor(sensor)
    assert gov.update(0.0).throttled
    sensor.value = OSError("sensor gone")
    st = gov.update(1.0)
    assert st.throttled and st.temp_c is None
    sensor.value = float("nan")
    assert gov.update(2.0).throttled
    sensor.value = 50.0
    assert gov.update(3.0).state == "normal"


def test_governor_caps_a_gate_on_fast_motion():
    """The way the pipeline wires them: the cap goes to the gate's max_tier each frame."""
    import numpy as np

    sensor = FakeSensor(90.0)
    gov = governor(sensor)
    gate = MotionGate()
    tiers = []
    for i in range(90):
        gate.max_tier = gov.update(i / 30).tier_cap
        img = np.full((180, 320, 3), 128, np.uint8)
        img[:, :64] = 255 if i % 2 else 0  # a fifth of the picture moves: the fast tier
        tiers.append(gate.update(img, i / 30).tier)
        if i == 30:
            sensor.value = 40.0
    assert set(tiers[1:30]) == {"moderate"}
    assert tiers[-1] == "fast"


def test_configure_applies_a_new_threshold_at_the_next_update():
    sensor = FakeSensor(70.0)
    gov = governor(sensor)
    assert gov.update(0.0).state == "normal"
    gov.configure(ThermalSettings(threshold_c=65.0, hysteresis_c=5.0, poll_s=1.0))
    assert gov.update(0.1).throttled
