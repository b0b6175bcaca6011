"""The responsiveness benchmark runs and records lag figures (no timing is asserted: the box is shared)."""

from __future__ import annotations

import math

from studio.ui.bench_lag import measure


def test_bench_lag_records_event_loop_lag(qtbot, ui_settings, backend_factory, record_property):
    result = measure(ui_settings, seconds=1.5, warmup=1.0, backend_factory=backend_factory)
    record_property("gui_lag", result)
    assert result["ticks"] > 10
    assert math.isfinite(result["lag_p95_ms"]) and result["lag_p95_ms"] >= 0
    assert result["preview_frames_per_s"] > 0  # frames reached the GUI while it was being probed
