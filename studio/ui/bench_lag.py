"""GUI responsiveness while the pipeline runs: event-loop lag measured by a 10 ms QTimer that records how late it is.

`python -m studio.ui.bench_lag [--seconds 10] [--size 1280x720] [--fps 30] [--model selfie] [--json FILE]`
opens the real main window (offscreen unless a display is set) on the synthetic source, lets it settle, then measures
for --seconds: timer lateness p50/p95/p99/max (ms), preview frames painted per second, and the pipeline's own fps.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import sys
import time

import numpy as np

from studio.config import Settings
from studio.core.kinds import SourceKind


class LagProbe:
    """A precise QTimer at ``interval_ms``; each tick records (now - when it was due) in milliseconds."""

    def __init__(self, interval_ms: int = 10) -> None:
        from PySide6.QtCore import Qt, QTimer

        self.interval = interval_ms / 1000.0
        self.samples: list[float] = []
        self._timer = QTimer()
        self._timer.setTimerType(Qt.TimerType.PreciseTimer)
        self._timer.setInterval(interval_ms)
        self._timer.timeout.connect(self._tick)
        self._due = 0.0

    def start(self) -> None:
        self.samples.clear()
        self._due = time.perf_counter() + self.interval
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def _tick(self) -> None:
        now = time.perf_counter()
        self.samples.append(max(0.0, now - self._due) * 1000.0)
        self._due = now + self.interval

    def summary(self) -> dict[str, float]:
        if not self.samples:
            return {"ticks": 0}
        a = np.asarray(self.samples)
        p50, p95, p99 = np.percentile(a, [50, 95, 99])
        return {"ticks": int(a.size), "lag_p50_ms": float(p50), "lag_p95_ms": float(p95), "lag_p99_ms": float(p99),
                "lag_max_ms": float(a.max())}


def measure(settings: Settings, *, seconds: float, warmup: float = 2.0, backend_factory=None,
            settings_path=None) -> dict:
    """Open the main window on ``settings``, wait ``warmup`` s, probe for ``seconds`` s; close; return figures."""
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from studio.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    win = MainWindow(settings, settings_path=settings_path, persist=False, backend_factory=backend_factory)
    win.show()
    win.start()
    probe = LagProbe()

    def run_for(s: float) -> None:
        loop = QEventLoop()
        QTimer.singleShot(int(s * 1000), loop.quit)
        loop.exec()

    try:
        run_for(warmup)
        taken0, painted0 = win.bridge.frames_taken, win.preview.paints
        probe.start()
        t0 = time.perf_counter()
        run_for(seconds)
        elapsed = time.perf_counter() - t0
        probe.stop()
        stats = win.bridge.pipeline.stats() if win.bridge.pipeline is not None else None
        result = probe.summary()
        result.update({
            "seconds": round(elapsed, 2),
            "preview_frames_per_s": round((win.bridge.frames_taken - taken0) / elapsed, 2),
            "preview_paints_per_s": round((win.preview.paints - painted0) / elapsed, 2),
            "pipeline_output_fps": getattr(stats, "output_fps", None),
            "pipeline_capture_fps": getattr(stats, "capture_fps", None),
            "pipeline_inference_fps": getattr(stats, "inference_fps", None),
            "source": f"synthetic {settings.source.width}x{settings.source.height}@{settings.source.fps:g}",
            "model": settings.inference.model,
            "background": settings.background.kind,
        })
    finally:
        win.close()
        app.processEvents()
    return result


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=10.0)
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--fps", type=float, default=30.0)
    ap.add_argument("--model", default="selfie")
    ap.add_argument("--background", default="blur", choices=["blur", "color", "none"])
    ap.add_argument("--json", metavar="FILE")
    args = ap.parse_args(argv)
    w, h = (int(v) for v in args.size.lower().split("x"))
    s = Settings()
    s = dataclasses.replace(
        s, source=dataclasses.replace(s.source, kind=SourceKind.SYNTHETIC.value, uri="", width=w, height=h,
                                      fps=args.fps),
        inference=dataclasses.replace(s.inference, model=args.model),
        background=dataclasses.replace(s.background, kind=args.background))
    result = measure(s.validate(), seconds=args.seconds)
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        from studio.core.atomic import write_text_atomic

        write_text_atomic(args.json, text + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
