"""Stats panel: live figures with a short history each (painted sparklines)."""

from __future__ import annotations

import math

from PySide6.QtWidgets import QGridLayout, QLabel, QVBoxLayout, QWidget

from studio.ui.sparkline import Sparkline


def field(obj, *names, default=None):
    """The first attribute (or dict key) of ``obj`` that exists; the stats snapshot is plain data."""
    for name in names:
        if obj is None:
            return default
        if isinstance(obj, dict):
            if name in obj:
                return obj[name]
        elif hasattr(obj, name):
            return getattr(obj, name)
    return default


def _num(v) -> float | None:
    if isinstance(v, (int, float)) and not isinstance(v, bool) and not math.isnan(float(v)):
        return float(v)
    return None


def _fmt(v, unit: str, digits: int = 1, missing: str = "—") -> str:
    n = _num(v)
    return missing if n is None else f"{n:.{digits}f} {unit}".strip()


def _pct(d, q):
    if d is None:
        return None
    if isinstance(d, dict):
        return d.get(q, d.get(str(q), d.get(f"p{q}")))
    return field(d, f"p{q}")


# (key, label, colour)
ROWS = [
    ("capture_fps", "Capture", "#81c784"),
    ("inference_fps", "Inference", "#ffb74d"),
    ("output_fps", "Output", "#4fc3f7"),
    ("display_fps", "Preview", "#90a4ae"),
    ("latency_p50", "Latency p50", "#ba68c8"),
    ("latency_p95", "Latency p95", "#ce93d8"),
    ("infer_ms", "Inference time", "#ffcc80"),
    ("aligned", "Own mask", "#80cbc4"),
    ("motion", "Motion", "#fff176"),
    ("cpu_temp", "CPU temp.", "#e57373"),
    ("gpu_temp", "GPU temp.", "#f06292"),
    ("rss", "Memory", "#a1887f"),
    ("cpu", "CPU load", "#aed581"),
]


# What each figure measures (the label's, the value's and the sparkline's tooltip).
TOOLTIPS = {
    "capture_fps": "frames per second arriving from the source (camera, file or demo), over the last 2 s",
    "inference_fps": "masks the model made per second: the motion gate runs it less often when little moves",
    "output_fps": "composited frames per second sent to the preview and the outputs (should match Capture)",
    "display_fps": "frames per second this window actually painted",
    "latency_p50": "capture -> output delay for a typical frame (median over the last 2 s)",
    "latency_p95": "capture -> output delay that 95 % of frames beat (the slow ones)",
    "infer_ms": "time the model takes for one mask (median); in brackets: frame captured -> its mask first shown",
    "aligned": "share of frames cut with the mask of that very frame (mask alignment); then the mask's lag in "
               "frames (p50/p95) and its age: its frame captured -> first shown (p50)",
    "motion": "how much the picture moves, and the gate tier it picks (still / moderate / fast)",
    "cpu_temp": "CPU temperature from the system's sensors (unavailable where none can be read)",
    "gpu_temp": "GPU temperature (NVIDIA or the SoC's sensor; unavailable without one)",
    "rss": "memory this process uses (resident set size)",
    "cpu": "CPU load of this process, all cores together (100 % = one core busy)",
}
# Rates drawn against a fixed 0-30 range (growing for faster sources): a steady 30 fps is a flat line at the top.
FPS_KEYS = ("capture_fps", "inference_fps", "output_fps", "display_fps")
FPS_CEILING = 30.0


def stats_values(stats, display_fps: float | None = None) -> dict[str, tuple[str, float | None]]:
    """key -> (text, number for the sparkline) from a PipelineStats snapshot."""
    lat = field(stats, "latency_ms")
    tel = field(stats, "telemetry")
    cpu_t = field(tel, "cpu_temp_c")
    gpu_t = field(tel, "gpu_temp_c")
    tier = field(stats, "tier", default="") or ""
    motion = _num(field(stats, "motion_level", "motion"))
    out = {
        "capture_fps": field(stats, "capture_fps"),
        "inference_fps": field(stats, "inference_fps"),
        "output_fps": field(stats, "output_fps"),
        "display_fps": display_fps,
        "latency_p50": _pct(lat, 50),
        "latency_p95": _pct(lat, 95),
        "infer_ms": field(stats, "infer_ms"),
    }
    values: dict[str, tuple[str, float | None]] = {}
    for k in ("capture_fps", "inference_fps", "output_fps", "display_fps"):
        values[k] = (_fmt(out[k], "fps"), _num(out[k]))
    for k in ("latency_p50", "latency_p95", "infer_ms"):
        values[k] = (_fmt(out[k], "ms"), _num(out[k]))
    mask = field(stats, "mask_ms")
    mask_ms = _num(_pct(mask, 50) if isinstance(mask, dict) else mask)
    if mask_ms is not None and values["infer_ms"][1] is not None:
        values["infer_ms"] = (f"{values['infer_ms'][0]} (mask {mask_ms:.1f} ms)", values["infer_ms"][1])
    values["aligned"] = _aligned(stats)
    values["motion"] = (f"{tier or '—'}" + (f"  {motion:.3f}" if motion is not None else ""), motion)
    na = "unavailable"
    values["cpu_temp"] = (_fmt(cpu_t, "°C", 0, na) if tel is not None else na, _num(cpu_t))
    values["gpu_temp"] = (_fmt(gpu_t, "°C", 0, na) if tel is not None else na, _num(gpu_t))
    rss = field(tel, "rss_mb")
    cpu = field(tel, "cpu_percent")
    values["rss"] = (_fmt(rss, "MB", 0), _num(rss))
    values["cpu"] = (_fmt(cpu, "%", 0), _num(cpu))
    return values


def _aligned(stats) -> tuple[str, float | None]:
    share = _num(field(stats, "aligned_share"))
    if share is None:
        return "—", None
    lag = field(stats, "mask_lag_frames") or {}
    p50, p95 = _num(_pct(lag, 50)), _num(_pct(lag, 95))
    age = _num(_pct(field(stats, "mask_ms"), 50))
    text = f"{share * 100:.0f} %"
    if p50 is not None and p95 is not None:
        text += f", lag {p50:.0f}/{p95:.0f}"
    if age is not None:
        text += f", age {age:.0f} ms"
    return text, share * 100


STAGE_LABELS = {"capture": "hand-off", "gate": "motion gate", "wait_mask": "wait for mask", "refine": "refine mask",
                "background": "background", "composite": "composite", "sinks": "outputs"}


def stage_rows(stats) -> list[tuple[str, float | None, float | None]]:
    """(label, p50 ms, p95 ms) per stage of the latency, in the order a frame goes through them."""
    stages = field(stats, "stages_ms") or {}
    return [(STAGE_LABELS.get(name, name), _num(_pct(p, 50)), _num(_pct(p, 95))) for name, p in dict(stages).items()]


def stage_table(stats) -> str:
    """The latency breakdown as a small rich-text table ("" before the first frame)."""
    rows = stage_rows(stats)
    if not rows:
        return ""
    cell = lambda v: "—" if v is None else f"{v:.1f}"  # noqa: E731
    body = "".join(f"<tr><td>{label}</td><td align=right>{cell(p50)}</td><td align=right>{cell(p95)}</td></tr>"
                   for label, p50, p95 in rows)
    total = [p50 for _, p50, _ in rows]
    total_text = "—" if None in total else f"{sum(total):.1f}"
    after = field(stats, "after_ms") or {}
    after_p50, after_p95 = _num(_pct(after, 50)), _num(_pct(after, 95))
    # split frames refine or blur once they are out, for the next frame: their work, outside the latency
    after_row = "" if not after_p95 else (f"<tr><td><i>after the frame, for the next</i></td><td align=right>"
                                           f"<i>{cell(after_p50)}</i></td><td align=right><i>{cell(after_p95)}</i>"
                                           "</td></tr>")
    return ("<table cellspacing=0 cellpadding=1><tr><th align=left>where the latency goes</th><th>p50 ms</th>"
            f"<th>p95 ms</th></tr>{body}<tr><td><i>stages added up</i></td><td align=right><i>{total_text}</i></td>"
            f"<td></td></tr>{after_row}</table>")


class StatsPanel(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 2, 6, 2)
        grid = QGridLayout()
        grid.setColumnStretch(2, 1)
        grid.setVerticalSpacing(3)
        self.labels: dict[str, QLabel] = {}
        self.sparks: dict[str, Sparkline] = {}
        for r, (key, label, colour) in enumerate(ROWS):
            name = QLabel(label)
            grid.addWidget(name, r, 0)
            value = QLabel("—")
            value.setMinimumWidth(110)
            grid.addWidget(value, r, 1)
            fps = key in FPS_KEYS
            spark = Sparkline(colour=colour, floor=0.0 if fps else None, ceiling=FPS_CEILING if fps else None)
            for w in (name, value, spark):
                w.setToolTip(TOOLTIPS[key])
            grid.addWidget(spark, r, 2)
            self.labels[key] = value
            self.sparks[key] = spark
        lay.addLayout(grid)
        self.stages = QLabel("")
        self.stages.setStyleSheet("color:#bbb;")
        lay.addWidget(self.stages)
        self.extra = QLabel("")
        self.extra.setWordWrap(True)
        self.extra.setStyleSheet("color:#bbb;")
        lay.addWidget(self.extra)
        lay.addStretch(1)
        self.updates = 0

    def show_stats(self, stats, display_fps: float | None = None) -> None:
        for key, (text, number) in stats_values(stats, display_fps).items():
            self.labels[key].setText(text)
            self.sparks[key].add(number)
        table = stage_table(stats)
        self.stages.setText(table)
        for key in ("latency_p50", "latency_p95"):
            self.labels[key].setToolTip(f"<p>{TOOLTIPS[key].replace('>', '&gt;')}</p>{table}" if table
                                        else TOOLTIPS[key])
        counts = field(stats, "inferences_per_tier")
        parts = []
        if counts:
            parts.append("inferences by tier: " + ", ".join(f"{k} {v}" for k, v in dict(counts).items()))
        drops = [(label, field(stats, key)) for key, label in (("capture_drops", "capture"),
                                                              ("inference_drops", "inference"))]
        if any(v is not None for _, v in drops):
            parts.append("dropped: " + ", ".join(f"{label} {v}" for label, v in drops if v is not None))
        restarts, fallbacks = field(stats, "restarts"), field(stats, "fallbacks")
        if restarts or fallbacks:
            parts.append(f"backend restarts {restarts or 0}, fallbacks {fallbacks or 0}")
        budget = _num(field(stats, "latency_budget_ms"))
        if budget is not None:
            reason = field(stats, "align_reason") or "not asked"
            parts.append(f"mask alignment: on, budget {budget:.0f} ms" if field(stats, "align")
                         else f"mask alignment: off ({reason}), budget {budget:.0f} ms")
        thermal = field(stats, "thermal_state")
        if thermal:
            temp = _num(field(stats, "temperature_c"))
            parts.append(f"thermal: {thermal}" + (f" ({temp:.0f} °C)" if temp is not None else ""))
        self.extra.setText("\n".join(parts))
        self.updates += 1
