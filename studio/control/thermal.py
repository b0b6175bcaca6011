"""ThermalGovernor: on a hot box, ask less of the model; when it cools down, give it back.

Fanless edge boxes throttle their CPU hard near 80-90 C, and then every stage slows at once, output included. The
governor reads a temperature (any callable returning degrees C or None, so tests use a fake sensor and the pipeline
uses the telemetry poller's hottest reading), and above ``threshold_c`` caps the motion gate's tier and the model's
input area; it restores them only once the temperature is ``hysteresis_c`` below the threshold, so a box hovering at
the threshold does not flap.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass
from typing import Callable

from studio.config.settings import ThermalSettings

log = logging.getLogger(__name__)

NORMAL = "normal"
THROTTLED = "throttled"
UNKNOWN = "unknown"  # no sensor, or it has not answered yet: treated as normal


@dataclass(frozen=True, slots=True)
class ThermalState:
    state: str  # normal | throttled | unknown
    temp_c: float | None
    since: float  # clock time the state began
    threshold_c: float
    tier_cap: str  # the highest gate tier allowed now
    max_area: int | None  # cap on the model input area now (None: no cap)

    @property
    def throttled(self) -> bool:
        return self.state == THROTTLED


class ThermalGovernor:
    """Call ``update()`` often (every output frame is fine): it reads the sensor at most every ``poll_s``."""

    def __init__(self, settings: ThermalSettings | None = None, sensor: Callable[[], float | None] | None = None, *,
                 throttled_tier: str = "moderate", throttled_area: int = 320 * 240,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.settings = settings or ThermalSettings()
        self._sensor = sensor
        self.throttled_tier = throttled_tier
        self.throttled_area = throttled_area
        self._clock = clock
        self._last_poll: float | None = None
        self._state = ThermalState(UNKNOWN, None, clock(), self.settings.threshold_c, "fast", None)

    def configure(self, settings: ThermalSettings) -> None:
        self.settings = settings
        self._last_poll = None  # re-evaluate against the new threshold at the next update

    def set_sensor(self, sensor: Callable[[], float | None] | None) -> None:
        self._sensor = sensor
        self._last_poll = None

    @property
    def state(self) -> ThermalState:
        return self._state

    def _read(self) -> float | None:
        if self._sensor is None:
            return None
        try:
            value = self._sensor()
        except Exception:  # noqa: BLE001 - a flaky sensor must not stop the video; logged and treated as "unknown"
            log.exception("temperature sensor failed")
            return None
        if value is None or not math.isfinite(value):
            return None
        return float(value)

    def update(self, now: float | None = None) -> ThermalState:
        now = self._clock() if now is None else now
        if self._last_poll is not None and now - self._last_poll < self.settings.poll_s:
            return self._state
        self._last_poll = now
        temp = self._read()
        s = self.settings
        current = self._state.state
        if temp is None:
            # Without a reading keep a throttle that is in force (a hot box whose sensor blinked is still hot).
            new = THROTTLED if current == THROTTLED else UNKNOWN
        elif temp >= s.threshold_c:
            new = THROTTLED
        elif current == THROTTLED and temp > s.threshold_c - s.hysteresis_c:
            new = THROTTLED
        else:
            new = NORMAL
        since = self._state.since if new == current else now
        if new != current and THROTTLED in (new, current):
            log.warning("thermal: %s at %s C (threshold %.0f C)", new, "?" if temp is None else f"{temp:.1f}",
                        s.threshold_c)
        throttled = new == THROTTLED
        self._state = ThermalState(new, temp, since, s.threshold_c,
                                   self.throttled_tier if throttled else "fast",
                                   self.throttled_area if throttled else None)
        return self._state
