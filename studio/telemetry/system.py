"""Memory and CPU load of this process and of the box (psutil)."""

from __future__ import annotations

import time
from dataclasses import dataclass


def process_age_s() -> float | None:
    """Seconds since this process started (cold-start figures); None where it cannot be told."""
    age = _linux_process_age_s()
    if age is not None:
        return age
    try:
        import psutil

        return max(0.0, time.time() - psutil.Process().create_time())
    except Exception:  # noqa: BLE001 - a figure for a report, never a reason to fail
        return None


def _linux_process_age_s() -> float | None:
    """The process's start in clock ticks after boot (/proc/self/stat) against the boot clock: right to a tick
    (10 ms). psutil's create_time adds the boot time from /proc/stat, which is whole seconds: on a box booted at
    x.28 s every age came out 0.28 s too long (0 to 1 s, fixed per boot)."""
    try:
        import os

        with open("/proc/self/stat", "rb") as fh:
            fields = fh.read().rpartition(b")")[2].split()
        start_ticks = int(fields[19])  # field 22 of stat(5); the two before it are cut off with the name
        return max(0.0, time.clock_gettime(time.CLOCK_BOOTTIME) - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError, AttributeError):  # not Linux: no /proc or no CLOCK_BOOTTIME
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
