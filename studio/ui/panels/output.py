"""Output panel: virtual camera on/off with its status, record, snapshot, mirror, before/after."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QCheckBox, QFormLayout, QGroupBox, QLabel, QPushButton, QVBoxLayout, QWidget

from studio.ui.settings_controller import SettingsController


class OutputPanel(QWidget):
    record_toggled = Signal(bool)
    snapshot_requested = Signal()
    before_after_toggled = Signal(bool)

    def __init__(self, controller: SettingsController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        s = controller.settings.output
        lay = QVBoxLayout(self)
        vbox = QGroupBox("Virtual camera")
        vform = QFormLayout(vbox)
        self.vcam = QCheckBox("send to a virtual camera")
        self.vcam.setObjectName("vcam_check")
        self.vcam.setChecked(s.vcam)
        vform.addRow(self.vcam)
        self.idle = QCheckBox("pause while nobody is watching")
        self.idle.setObjectName("idle_check")
        self.idle.setToolTip("No program reads the virtual camera and this window is minimised: capture and the "
                             "model stop, the camera shows a still picture; a program opening it resumes at once")
        self.idle.setChecked(controller.settings.live.idle_when_unwatched)
        vform.addRow(self.idle)
        self.vcam_status = QLabel("off")
        self.vcam_status.setWordWrap(True)
        vform.addRow("Status", self.vcam_status)
        lay.addWidget(vbox)

        obox = QGroupBox("Picture")
        oform = QFormLayout(obox)
        self.mirror = QCheckBox("mirror (as in a mirror)")
        self.mirror.setChecked(s.mirror)
        oform.addRow(self.mirror)
        self.before_after = QCheckBox("show the camera picture (before)")
        oform.addRow(self.before_after)
        lay.addWidget(obox)

        rbox = QGroupBox("Save")
        rlay = QVBoxLayout(rbox)
        self.record = QPushButton("● Record")
        self.record.setCheckable(True)
        self.snapshot = QPushButton("Snapshot")
        self.last_saved = QLabel("")
        self.last_saved.setWordWrap(True)
        rlay.addWidget(self.record)
        rlay.addWidget(self.snapshot)
        rlay.addWidget(self.last_saved)
        lay.addWidget(rbox)
        lay.addStretch(1)

        self._vcam_error = ""
        self.vcam.toggled.connect(self._vcam_toggled)
        self.idle.toggled.connect(lambda on: controller.update("live", idle_when_unwatched=on))
        self.mirror.toggled.connect(lambda on: controller.update("output", mirror=on))
        self.record.toggled.connect(self._record)
        self.snapshot.clicked.connect(self.snapshot_requested)
        self.before_after.toggled.connect(self.before_after_toggled)

    def _record(self, on: bool) -> None:
        self.record.setText("■ Stop recording" if on else "● Record")
        self.record_toggled.emit(on)

    def set_recording(self, on: bool) -> None:
        """Reflect the real state (a recorder that failed to open turns the button back off)."""
        self.record.blockSignals(True)
        self.record.setChecked(on)
        self.record.setText("■ Stop recording" if on else "● Record")
        self.record.blockSignals(False)

    def _vcam_toggled(self, on: bool) -> None:
        if on:
            self._vcam_error = ""
        self.controller.update("output", vcam=on)

    def show_vcam_status(self, status: str, idle: bool = False) -> None:
        """The virtual camera's state; one that failed unticks the box (it is not running, and the settings file
        must not keep asking for it), and its reason stays under the box until it is ticked again."""
        if status.startswith("error") and self.vcam.isChecked():
            self._vcam_error = status.removeprefix("error:").strip() or "the virtual camera failed"
            self.vcam.setChecked(False)
        if not self.vcam.isChecked() and self._vcam_error:
            self.vcam_status.setText(f"off: {self._vcam_error}")
            return
        if idle:
            self.vcam_status.setText(f"idle — nobody is watching ({status})")
            return
        self.vcam_status.setText(status or ("starting…" if self.vcam.isChecked() else "off"))
