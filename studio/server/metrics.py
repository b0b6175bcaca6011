"""What the service counts: latency over a recent window, requests served and rejected, queue depth, uptime, memory
and temperatures. /health reads it as JSON, /metrics as Prometheus text (a registry of its own per app, so two apps
in one process never clash)."""

from __future__ import annotations

import threading
import time
from collections import deque

import numpy as np

WINDOW = 512  # latencies kept for p50/p95/p99
TELEMETRY_MAX_AGE_S = 1.0


class ServiceStats:
    def __init__(self, queue, *, sensors=None, monitor=None) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.started = time.monotonic()
        self.queue = queue
        self._lock = threading.Lock()
        self._latencies: deque[float] = deque(maxlen=WINDOW)
        self.served = 0
        self.rejected: dict[str, int] = {}
        self._sensors, self._monitor = sensors, monitor
        self._telemetry: dict | None = None
        self._telemetry_t = 0.0
        self.registry = r = CollectorRegistry(auto_describe=True)
        self._requests = Counter("studio_requests", "Requests answered, by endpoint and status", ["endpoint", "status"],
                                 registry=r)
        self._rejects = Counter("studio_rejected", "Requests refused, by reason (busy, too_large, ...)", ["reason"],
                                registry=r)
        self._seconds = Histogram("studio_cutout_seconds", "Time from admission to the encoded result",
                                  ["endpoint"], registry=r,
                                  buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30))
        Gauge("studio_queue_depth", "Jobs admitted and not finished", registry=r).set_function(lambda: queue.depth)
        Gauge("studio_queue_capacity", "Jobs the queue admits at once", registry=r).set(queue.capacity)
        Gauge("studio_uptime_seconds", "Seconds since start", registry=r).set_function(self.uptime)
        Gauge("studio_rss_bytes", "Resident memory of the service", registry=r).set_function(
            lambda: (self.telemetry().get("rss_mb") or 0.0) * 1024 * 1024)
        temp = Gauge("studio_temperature_celsius", "Hottest reading by kind (NaN: no sensor)", ["kind"], registry=r)
        for kind in ("cpu", "gpu", "hottest"):
            temp.labels(kind).set_function(lambda k=kind: _nan(self.telemetry().get(f"{k}_temp_c" if k != "hottest"
                                                                                    else "hottest_c")))
        q = Gauge("studio_latency_seconds", "Latency quantile over the recent window", ["quantile"], registry=r)
        for name, p in (("0.5", 50), ("0.95", 95), ("0.99", 99)):
            q.labels(name).set_function(lambda p=p: _nan(self.percentiles().get(f"p{p}_ms")) / 1000.0)

    def uptime(self) -> float:
        return time.monotonic() - self.started

    def request(self, endpoint: str, status: int) -> None:
        self._requests.labels(endpoint, str(status)).inc()

    def done(self, endpoint: str, seconds: float) -> None:
        with self._lock:
            self._latencies.append(seconds)
            self.served += 1
        self._seconds.labels(endpoint).observe(seconds)

    def reject(self, reason: str) -> None:
        with self._lock:
            self.rejected[reason] = self.rejected.get(reason, 0) + 1
        self._rejects.labels(reason).inc()

    def typical_job_s(self) -> float:
        return (self.percentiles().get("p50_ms") or 500.0) / 1000.0

    def percentiles(self) -> dict:
        with self._lock:
            lat = np.fromiter(self._latencies, float)
        if lat.size == 0:
            return {"window": 0, "p50_ms": None, "p95_ms": None, "p99_ms": None}
        p50, p95, p99 = np.percentile(lat * 1000.0, [50, 95, 99])
        return {"window": int(lat.size), "p50_ms": round(float(p50), 2), "p95_ms": round(float(p95), 2),
                "p99_ms": round(float(p99), 2)}

    def telemetry(self) -> dict:
        """Temperatures and memory, read at most once a second (sysfs and psutil; no thread of its own)."""
        now = time.monotonic()
        with self._lock:
            if self._telemetry is not None and now - self._telemetry_t < TELEMETRY_MAX_AGE_S:
                return self._telemetry
        from studio.telemetry import summarise

        readings = self._sensors.read() if self._sensors is not None else []
        load = self._monitor.sample() if self._monitor is not None else None
        snap = summarise(readings, load, now).to_dict()
        with self._lock:
            self._telemetry, self._telemetry_t = snap, now
        return snap

    def rejected_total(self) -> int:
        with self._lock:
            return sum(self.rejected.values())

    def prometheus(self) -> bytes:
        from prometheus_client import generate_latest

        return generate_latest(self.registry)


def _nan(v) -> float:
    return float("nan") if v is None else float(v)
