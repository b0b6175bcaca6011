"""Memory and CPU load of this process and of the box (psutil)."""

from __future__ import annotations

import time
from dataclasses import dataclass


def process_age_s() -> float | None:
    """Seconds since this process started (cold-start figures); None where psutil cannot tell."""
    try:
        import psutil

        return max(0.0, time.time() - psutil.Process().create_time())
    except Exception:  # noqa: BLE001 - a figure for a report, never a reason to fail
        return None


@dataclass(frozen=True, slots=True)
class SystemLoad:
    rss_mb: float  # resident memory of this process
    mem_used_percent: float  # of the whole box
    cpu_percent: float  # whole box, all cores = 100, since the previous sample
    process_cpu_percent: float  # this process, one core = 100, since the previous sample
    process_cpu_s: float  # user + system CPU seconds this process has used


class SystemMonitor:
    """Samples load; percentages are averages since the previous ``sample()`` (the first one primes them)."""

    def __init__(self) -> None:
        import psutil

        self._psutil = psutil
        self._proc = psutil.Process()
        psutil.cpu_percent(None)
        self._proc.cpu_percent(None)

    def sample(self) -> SystemLoad:
        ps, proc = self._psutil, self._proc
        with proc.oneshot():
            rss = proc.memory_info().rss
            times = proc.cpu_times()
            proc_pct = proc.cpu_percent(None)
        return SystemLoad(rss_mb=rss / (1024 * 1024), mem_used_percent=float(ps.virtual_memory().percent),
                          cpu_percent=float(ps.cpu_percent(None)), process_cpu_percent=float(proc_pct),
                          process_cpu_s=float(times.user + times.system))
