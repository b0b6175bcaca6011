"""A tiny history plot painted with QPainter (no plotting dependency)."""

from __future__ import annotations

import math
from collections import deque

from PySide6.QtCore import QPointF, QSize
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import QWidget


class Sparkline(QWidget):
    def __init__(self, parent: QWidget | None = None, *, length: int = 60, colour: str = "#4fc3f7",
                 floor: float | None = None, ceiling: float | None = None) -> None:
        """``floor``/``ceiling`` fix the vertical range (it grows past the ceiling only for values above it): an fps
        line at 29.8-30.1 then stays flat near the top instead of zooming into noise."""
        super().__init__(parent)
        self.floor, self.ceiling = floor, ceiling
        self.values: deque[float] = deque(maxlen=length)
        self.colour = QColor(colour)
        self.setMinimumSize(80, 22)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(140, 24)

    def add(self, value: float | None) -> None:
        """Append a sample; None or NaN leaves a gap (a sensor that is unavailable)."""
        self.values.append(float("nan") if value is None else float(value))
        self.update()

    def value_range(self) -> tuple[float, float] | None:
        """(low, high) the line is drawn against; None with fewer than two samples."""
        finite = [v for v in self.values if not math.isnan(v)]
        if len(finite) < 2:
            return None
        lo, hi = min(finite), max(finite)
        if self.floor is not None:
            lo = min(self.floor, lo)
        if self.ceiling is not None:
            hi = max(self.ceiling, hi)
        if hi - lo < 1e-9:
            lo, hi = lo - 1, hi + 1
        return lo, hi

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(30, 30, 34))
        rng = self.value_range()
        if rng is not None:
            lo, hi = rng
            w, h = self.width() - 2, self.height() - 4
            step = w / max(1, self.values.maxlen - 1)
            x0 = 1 + w - step * (len(self.values) - 1)
            path = QPainterPath()
            pen_down = False
            for i, v in enumerate(self.values):
                if math.isnan(v):
                    pen_down = False
                    continue
                pt = QPointF(x0 + i * step, 2 + h - (v - lo) / (hi - lo) * h)
                if pen_down:
                    path.lineTo(pt)
                else:
                    path.moveTo(pt)
                    pen_down = True
            p.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            p.setPen(QPen(self.colour, 1.5))
            p.drawPath(path)
        p.end()
