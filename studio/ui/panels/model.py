"""Model and backend panel: model (kind, licence), backend (auto or named) and the device really used, input
resolution target, motion-gate tiers, mask alignment (studio.ui.panels.align), and mask refinement (threshold, feather, smoothing)."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt
from PySide6.QtGui import QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QLabel, QSlider, QVBoxLayout, QWidget,
)

from studio.ui.panels.align import AlignBox
from studio.ui.settings_controller import SettingsController

log = logging.getLogger(__name__)

TARGET_AREAS = [
    ("low: 512 x 384", 512 * 384),
    ("medium: 640 x 480", 640 * 480),
    ("default: 1024 x 768", 1024 * 768),
    ("high: 1280 x 720", 1280 * 720),
    ("full HD: 1920 x 1080", 1920 * 1080),
]


def model_entries() -> list[tuple[str, str, bool, str]]:
    """(name, label, present, tooltip) for every registry model."""
    from studio.models import default_registry

    reg = default_registry()
    out = []
    for spec in reg.specs():
        present = spec.present()
        size = f"{spec.input_size[0]}x{spec.input_size[1]}" if not spec.dynamic else "dynamic"
        label = f"{spec.name} — {spec.kind}, {size}, {spec.licence}" + ("" if present else " (not downloaded)")
        tip = spec.description + ("" if spec.commercial_use else "\nnon-commercial licence")
        out.append((spec.name, label, present, tip))
    return out


def backend_entries() -> list[tuple[str, str]]:
    """(name, label) for every runtime this box can use, with its devices."""
    try:
        from studio.inference.registry import available_backends

        found = available_backends()
    except Exception as exc:  # noqa: BLE001 - listed as "auto" only; the pipeline reports the real problem
        log.warning("backend discovery failed: %s", exc)
        return []
    return [(name, f"{name} ({', '.join(devices)})") for name, devices in found.items() if devices]


def _combo(min_chars: int = 16) -> QComboBox:
    """A combo box whose width does not follow its longest entry (the Model tab must fit its dock without a
    horizontal scroll bar); the open list is as wide as it needs, and the tooltip shows the whole choice."""
    c = QComboBox()
    c.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    c.setMinimumContentsLength(min_chars)
    c.currentTextChanged.connect(c.setToolTip)
    return c


def _slider(lo: int, hi: int) -> QSlider:
    s = QSlider(Qt.Orientation.Horizontal)
    s.setRange(lo, hi)
    return s


class ModelPanel(QWidget):
    def __init__(self, controller: SettingsController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        s = controller.settings
        lay = QVBoxLayout(self)

        box = QGroupBox("Model and backend")
        form = QFormLayout(box)
        self.model = _combo()
        self.model.setObjectName("model_combo")
        for name, label, present, tip in model_entries():
            self.model.addItem(label, name)
            i = self.model.count() - 1
            self.model.setItemData(i, tip, Qt.ItemDataRole.ToolTipRole)
            if not present:  # a model that is not on disk cannot be picked; its hint says how to fetch it
                item = self.model.model().item(i) if isinstance(self.model.model(), QStandardItemModel) else None
                if item is not None:
                    item.setEnabled(False)
        self.model.setCurrentIndex(max(0, self.model.findData(s.inference.model)))
        form.addRow("Model", self.model)
        self.backend = _combo()
        self.backend.addItem("auto (fastest on this box)", "auto")
        for name, label in backend_entries():
            self.backend.addItem(label, name)
        if self.backend.findData(s.inference.backend) < 0:
            self.backend.addItem(s.inference.backend, s.inference.backend)
        self.backend.setCurrentIndex(self.backend.findData(s.inference.backend))
        form.addRow("Backend", self.backend)
        self.device = QLabel("—")
        self.device.setWordWrap(True)
        form.addRow("Running on", self.device)
        self.area = _combo()
        for label, area in TARGET_AREAS:
            self.area.addItem(label, area)
        if self.area.findData(s.inference.target_area) < 0:
            self.area.addItem(f"custom: {s.inference.target_area} px", s.inference.target_area)
        self.area.setCurrentIndex(self.area.findData(s.inference.target_area))
        self.area.setToolTip("input area aimed at by models with dynamic input; fixed-size models use their own")
        form.addRow("Input target", self.area)
        self.input_size = QLabel("—")
        form.addRow("Input now", self.input_size)
        lay.addWidget(box)

        gate = QGroupBox("Motion gate (masks per second)")
        gate.setToolTip("how often the model runs, by how much the picture moves")
        gform = QFormLayout(gate)
        self.gate_on = QCheckBox("gate inference by motion")
        self.gate_on.setChecked(s.gate.enabled)
        gform.addRow(self.gate_on)
        self.static_fps = self._fps_box(s.gate.static_fps)
        self.moderate_fps = self._fps_box(s.gate.moderate_fps)
        self.fast_fps = self._fps_box(s.gate.fast_fps, allow_zero=True)
        gform.addRow("still", self.static_fps)
        gform.addRow("moderate", self.moderate_fps)
        gform.addRow("fast", self.fast_fps)
        self.tier = QLabel("—")
        gform.addRow("Tier now", self.tier)
        lay.addWidget(gate)
        self.align = AlignBox(controller)
        lay.addWidget(self.align)

        ref = QGroupBox("Edges")
        rform = QFormLayout(ref)
        self.threshold = _slider(0, 95)
        self.threshold.setValue(int(round(s.refine.threshold * 100)))
        self.threshold.setToolTip("0 = soft edges; otherwise a hard cut at this level (%)")
        self.feather = _slider(0, 32)
        self.feather.setValue(s.refine.feather)
        self.smoothing = _slider(0, 95)
        self.smoothing.setValue(int(round(s.refine.smoothing * 100)))
        self.smoothing.setToolTip("temporal smoothing: weight of the previous mask (%)")
        self.guided = QCheckBox("edge-aware upsampling")
        self.guided.setChecked(s.refine.guided)
        self.edge = _slider(-8, 8)
        self.edge.setValue(s.refine.edge_px)
        self.edge.setToolTip("move the edge inward (< 0: trims a fringe of the old background) or outward (> 0: "
                             "keeps more hair), in pixels")
        rform.addRow("Threshold", self.threshold)
        rform.addRow("Feather", self.feather)
        rform.addRow("Edge (px)", self.edge)
        rform.addRow("Smoothing", self.smoothing)
        rform.addRow(self.guided)
        lay.addWidget(ref)
        lay.addStretch(1)

        self.model.currentIndexChanged.connect(
            lambda: controller.update("inference", model=self.model.currentData()))
        self.backend.currentIndexChanged.connect(
            lambda: controller.update("inference", backend=self.backend.currentData()))
        self.area.currentIndexChanged.connect(
            lambda: controller.update("inference", target_area=int(self.area.currentData())))
        self.gate_on.toggled.connect(lambda on: controller.update("gate", enabled=on))
        for box_, key in ((self.static_fps, "static_fps"), (self.moderate_fps, "moderate_fps"),
                          (self.fast_fps, "fast_fps")):
            box_.valueChanged.connect(lambda v, k=key: controller.update("gate", **{k: float(v)}))
        self.threshold.valueChanged.connect(lambda v: controller.update("refine", threshold=v / 100.0))
        self.feather.valueChanged.connect(lambda v: controller.update("refine", feather=int(v)))
        self.smoothing.valueChanged.connect(lambda v: controller.update("refine", smoothing=v / 100.0))
        self.guided.toggled.connect(lambda on: controller.update("refine", guided=on))
        self.edge.valueChanged.connect(lambda v: controller.update("refine", edge_px=int(v)))

    @staticmethod
    def _fps_box(value: float, allow_zero: bool = False) -> QDoubleSpinBox:
        b = QDoubleSpinBox()
        b.setRange(0.0 if allow_zero else 0.5, 120.0)
        b.setDecimals(1)
        b.setSuffix(" /s")
        if allow_zero:
            b.setSpecialValueText("every frame")
        b.setValue(value)
        return b

    def show_stats(self, stats) -> None:
        backend = getattr(stats, "backend", "") or "—"
        model = getattr(stats, "model", "") or ""
        text = f"{model}: {backend}" if model else backend
        if getattr(stats, "model_loading", False):
            text += " (loading…)"
        requested = getattr(stats, "backend_requested", "")
        if requested:
            text += f"\nasked for: {requested}"
        self.device.setText(text)
        size = getattr(stats, "input_size", None)
        self.input_size.setText(f"{size[0]} x {size[1]}" if size else "—")
        tier = getattr(stats, "tier", "") or "—"
        level = getattr(stats, "motion_level", None)
        self.tier.setText(f"{tier}" + (f" (motion {level:.3f})" if isinstance(level, (int, float)) else ""))
        self.align.show_stats(stats)
