"""Mask alignment controls (the ``live`` settings): auto/off, the latency budget, and what the pipeline does now (on,
or off and why; the budget in force, which with 0 follows the source's frame interval)."""

from __future__ import annotations

import math

from PySide6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QLabel, QWidget

from studio.core.kinds import AlignMode
from studio.ui.settings_controller import SettingsController

MODE_LABELS = {AlignMode.AUTO: "auto (wait for the frame's own mask when the model is fast enough)",
               AlignMode.OFF: "off (always the newest mask)"}


def align_text(stats) -> str:
    """The alignment state from a PipelineStats snapshot, in words ("—" before the first frame)."""
    budget = getattr(stats, "latency_budget_ms", math.nan)
    if not isinstance(budget, (int, float)) or math.isnan(budget):
        return "—"
    if getattr(stats, "align", False):
        return f"on: budget {budget:.0f} ms"
    return f"off: {getattr(stats, 'align_reason', '') or 'not asked'} (budget {budget:.0f} ms)"


class AlignBox(QGroupBox):
    def __init__(self, controller: SettingsController, parent: QWidget | None = None) -> None:
        super().__init__("Mask alignment", parent)
        self.setToolTip("a frame sent to the model may wait, within the latency budget, for its own mask, so the "
                        "mask does not trail a moving hand by a frame")
        s = controller.settings.live
        form = QFormLayout(self)
        self.mode = QComboBox()
        self.mode.setObjectName("align_combo")
        for mode, label in MODE_LABELS.items():
            self.mode.addItem(label, mode.value)
        self.mode.setCurrentIndex(max(0, self.mode.findData(s.align_mask)))
        self.mode.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.mode.setMinimumContentsLength(16)
        form.addRow("Align", self.mode)
        self.budget = QDoubleSpinBox()
        self.budget.setObjectName("latency_budget")
        self.budget.setRange(0.0, 1000.0)
        self.budget.setDecimals(0)
        self.budget.setSuffix(" ms")
        self.budget.setSpecialValueText("auto (one frame interval)")
        self.budget.setValue(s.latency_budget_ms)
        self.budget.setToolTip("how long capture -> output may take when a frame waits for its own mask")
        form.addRow("Latency budget", self.budget)
        self.state = QLabel("—")
        self.state.setWordWrap(True)
        form.addRow("Now", self.state)
        self.mode.currentIndexChanged.connect(lambda: controller.update("live", align_mask=self.mode.currentData()))
        self.budget.valueChanged.connect(lambda v: controller.update("live", latency_budget_ms=float(v)))

    def show_stats(self, stats) -> None:
        self.state.setText(align_text(stats))
