"""Measure `studio serve` on this box: requests/s and latency p50/p95 at 1, 4 and 16 concurrent clients, RSS before
and after 1,000 requests, and time to the first tile vs the whole image over a throttled link.

Loopback only, bounded loops. The box is shared: run it under the bench lock, e.g.

    flock /tmp/studio-bench.lock .venv/bin/python installers/bench_serve.py --out /tmp/serve-bench.json

It starts `python -m studio serve` as a child process on a free 127.0.0.1 port (so the RSS is the service's own),
drives it with httpx and prints one JSON document (also written to --out)."""

from __future__ import annotations

import argparse
import io
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import numpy as np
import psutil

REPO = Path(__file__).resolve().parents[1]
SHARED_PICTURE = REPO.parent / "shared" / "data" / "portraits" / "img" / "100.jpg"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def picture(width: int | None = None) -> tuple[bytes, str]:
    """A real portrait (1280x1055 JPEG from ../shared/data) when present, else a synthetic 1280x720 scene."""
    from PIL import Image

    if SHARED_PICTURE.is_file():
        im, what = Image.open(SHARED_PICTURE).convert("RGB"), f"{SHARED_PICTURE.name}"
    else:
        rng = np.random.default_rng(0)
        arr = rng.integers(40, 200, (720, 1280, 3), dtype=np.uint8)
        arr[200:600, 480:800] = (230, 120, 60)
        im, what = Image.fromarray(arr), "synthetic"
    if width and im.width != width:
        im = im.resize((width, round(im.height * width / im.width)), Image.LANCZOS)
    buf = io.BytesIO()
    im.save(buf, "JPEG", quality=90)
    return buf.getvalue(), f"{what} {im.width}x{im.height} JPEG {len(buf.getvalue()) // 1024} kB"


class Service:
    def __init__(self, model: str, workers: int, queue: int) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, "-m", "studio", "serve", "--port", str(self.port), "--model", model,
               "--workers", str(workers), "--queue", str(queue)]
        self.proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(self.url + "/health", timeout=2).json()["status"] == "ok":
                    break
            except (httpx.HTTPError, ValueError):
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"the service did not start: {self.proc.stderr.read()[-2000:]}")
            time.sleep(0.2)
        self.ps = psutil.Process(self.proc.pid)

    def rss_mb(self) -> float:
        return self.ps.memory_info().rss / (1024 * 1024)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def load(url: str, body: bytes, clients: int, requests: int, params: dict | None = None) -> dict:
    """``clients`` threads share ``requests`` POST /process calls; a 503 waits its Retry-After (a polite client)
    and is counted, not timed."""
    lock = threading.Lock()
    left = [requests]
    lat: list[float] = []
    busy = [0]
    errors: list[str] = []

    def client():
        with httpx.Client(timeout=120) as c:
            while True:
                with lock:
                    if left[0] <= 0:
                        return
                    left[0] -= 1
                t0 = time.perf_counter()
                r = c.post(url + "/process", content=body, params=params or {},
                           headers={"content-type": "image/jpeg"})
                dt = time.perf_counter() - t0
                with lock:
                    if r.status_code == 200:
                        lat.append(dt)
                    elif r.status_code == 503:
                        busy[0] += 1
                        left[0] += 1  # retried later
                    else:
                        errors.append(f"{r.status_code} {r.text[:100]}")
                if r.status_code == 503:
                    time.sleep(min(float(r.headers.get("retry-after", "1")), 5.0))

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    ms = np.array(lat) * 1000
    return {"clients": clients, "ok": len(lat), "busy_503": busy[0], "errors": errors[:5], "wall_s": round(wall, 2),
            "requests_per_s": round(len(lat) / wall, 2),
            "p50_ms": round(float(np.percentile(ms, 50)), 1) if len(ms) else None,
            "p95_ms": round(float(np.percentile(ms, 95)), 1) if len(ms) else None}


def throttled(url: str, path: str, body: bytes, rate_bps: float, params: dict) -> dict:
    """POST and read the answer at ``rate_bps`` bytes/s (the client's reader sleeps to keep to the rate): the
    moment the first complete tile line (for /tiles) and the last byte arrive, from the start of the request."""
    t0 = time.perf_counter()
    first = None
    got = 0
    buf = b""
    with httpx.Client(timeout=300) as c:
        with c.stream("POST", url + path, content=body, params=params,
                      headers={"content-type": "image/jpeg"}) as r:
            r.raise_for_status()
            t_first_byte = None
            for chunk in r.iter_raw(4096):
                got += len(chunk)
                if t_first_byte is None:
                    t_first_byte = time.perf_counter()
                # keep to the rate: these bytes may not be "delivered" before got/rate s after the first byte
                wait = t_first_byte + got / rate_bps - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                if first is None and path == "/tiles":
                    buf += chunk
                    lines = buf.split(b"\n")
                    if any(json.loads(line).get("type") == "tile" for line in lines[:-1] if line):
                        first = time.perf_counter() - t0
    total = time.perf_counter() - t0
    return {"path": path, "bytes": got, "first_tile_s": round(first, 3) if first else None,
            "whole_s": round(total, 3)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="u2netp")
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--queue", type=int, default=4)
    ap.add_argument("--width", type=int, default=None, help="resize the test picture to this width first")
    ap.add_argument("--requests", type=int, default=40, help="requests per concurrency level")
    ap.add_argument("--soak", type=int, default=1000, help="requests between the two RSS readings")
    ap.add_argument("--soak-width", type=int, default=640)
    ap.add_argument("--rate-kbps", type=float, default=1024.0, help="throttled link: kB/s the client reads")
    ap.add_argument("--tile", type=int, default=256)
    ap.add_argument("--skip", default="", help="comma list of parts to skip: load,soak,throttle")
    ap.add_argument("--out", type=Path)
    args = ap.parse_args()
    skip = set(filter(None, args.skip.split(",")))
    body, what = picture(args.width)
    svc = Service(args.model, args.workers, args.queue)
    result: dict = {"model": args.model, "picture": what, "workers": args.workers, "queue": args.queue,
                    "cpus": os.cpu_count()}
    try:
        h = httpx.get(svc.url + "/health").json()
        result["runs_on"] = h["runs_on"]
        load(svc.url, body, 1, 3)  # warm-up
        if "load" not in skip:
            result["load"] = [load(svc.url, body, n, args.requests) for n in (1, 4, 16)]
            print(json.dumps(result["load"]), file=sys.stderr)
        if "soak" not in skip:
            small, small_what = picture(args.soak_width)
            load(svc.url, small, 4, 20)  # reach steady state first
            before = svc.rss_mb()
            soak = load(svc.url, small, 4, args.soak)
            after = svc.rss_mb()
            result["soak"] = {"picture": small_what, "requests": soak["ok"], "rss_before_mb": round(before, 1),
                              "rss_after_mb": round(after, 1), "growth_mb": round(after - before, 1),
                              "requests_per_s": soak["requests_per_s"], "p50_ms": soak["p50_ms"],
                              "p95_ms": soak["p95_ms"], "busy_503": soak["busy_503"]}
            print(json.dumps(result["soak"]), file=sys.stderr)
        if "throttle" not in skip:
            rate = args.rate_kbps * 1024
            result["throttle"] = {
                "rate_kB_s": args.rate_kbps,
                "tiles": throttled(svc.url, "/tiles", body, rate, {"tile": args.tile}),
                "process_png": throttled(svc.url, "/process", body, rate, {}),
            }
        result["health_after"] = {k: v for k, v in httpx.get(svc.url + "/health").json().items()
                                   if k in ("requests_served", "requests_rejected", "rejected", "latency")}
    finally:
        svc.stop()
    text = json.dumps(result, indent=1)
    print(text)
    if args.out:
        args.out.write_text(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
