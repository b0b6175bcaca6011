"""Source panel: demo source, cameras (with resolution and fps), a video file or a still image."""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox, QFileDialog, QFormLayout, QHBoxLayout, QLabel, QPushButton, QSpinBox, QVBoxLayout, QWidget,
)

from studio.core.kinds import MOVING_SOURCE_SUFFIXES, SOURCE_KINDS_WITH_FILE, STILL_SOURCE_SUFFIXES, SourceKind
from studio.ui.settings_controller import SettingsController

log = logging.getLogger(__name__)

RESOLUTIONS = [(640, 480), (1280, 720), (1920, 1080)]
VIDEO_EXT = MOVING_SOURCE_SUFFIXES
IMAGE_EXT = STILL_SOURCE_SUFFIXES


def camera_entries() -> tuple[list[tuple[str, dict]], str]:
    """(label, source fields) per camera found, and a note when none or the probe failed."""
    try:
        from studio.capture.sources import list_cameras

        cams = list_cameras()
    except Exception as exc:  # noqa: BLE001 - probing hardware must not stop the app; shown in the panel
        log.warning("camera probe failed: %s", exc)
        return [], f"camera probe failed: {exc}"
    entries = []
    for cam in cams:
        uri = str(cam.uri)
        sizes = getattr(cam, "sizes", None) or []
        modes = f" ({', '.join(f'{w}x{h}' for w, h in sizes[:3])})" if sizes else ""
        entries.append((f"{cam.name or 'camera'} [{cam.path}]{modes}", {"kind": SourceKind.CAMERA.value, "uri": uri}))
    note = "" if entries else "no camera found: plug one in and press Refresh, or use the demo, a file or an image"
    return entries, note


class SourcePanel(QWidget):
    source_chosen = Signal(str, str)  # kind, uri

    def __init__(self, controller: SettingsController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        lay = QVBoxLayout(self)
        row = QHBoxLayout()
        self.combo = QComboBox()
        self.combo.setObjectName("source_combo")
        row.addWidget(self.combo, 1)
        self.refresh_btn = QPushButton("Refresh")
        self.refresh_btn.setToolTip("look for cameras again")
        row.addWidget(self.refresh_btn)
        lay.addLayout(row)
        files = QHBoxLayout()
        self.file_btn = QPushButton("Video file…")
        self.image_btn = QPushButton("Image…")
        files.addWidget(self.file_btn)
        files.addWidget(self.image_btn)
        lay.addLayout(files)
        form = QFormLayout()
        self.resolution = QComboBox()
        for w, h in RESOLUTIONS:
            self.resolution.addItem(f"{w} x {h}", (w, h))
        self.fps = QSpinBox()
        self.fps.setRange(1, 120)
        self.fps.setSuffix(" fps")
        form.addRow("Resolution", self.resolution)
        form.addRow("Frame rate", self.fps)
        lay.addLayout(form)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setStyleSheet("color:#bbb;")
        lay.addWidget(self.note)
        self.state = QLabel()
        self.state.setWordWrap(True)
        lay.addWidget(self.state)
        lay.addStretch(1)

        self._populating = False
        self.refresh()
        self._sync_from_settings()
        self.combo.currentIndexChanged.connect(self._combo_changed)
        self.refresh_btn.clicked.connect(self.refresh)
        self.file_btn.clicked.connect(lambda: self._pick("file"))
        self.image_btn.clicked.connect(lambda: self._pick("image"))
        self.resolution.currentIndexChanged.connect(self._mode_changed)
        self.fps.valueChanged.connect(self._mode_changed)

    # -- list ------------------------------------------------------------------------------------------------
    def refresh(self) -> None:
        self._populating = True
        try:
            self.combo.clear()
            self.combo.addItem("Demo (synthetic person)", {"kind": SourceKind.SYNTHETIC.value, "uri": ""})
            cams, note = camera_entries()
            for label, data in cams:
                self.combo.addItem(label, data)
            s = self.controller.settings.source
            if s.kind in SOURCE_KINDS_WITH_FILE and s.uri:
                self.combo.addItem(f"{s.kind}: {Path(s.uri).name}", {"kind": s.kind, "uri": s.uri})
            self.note.setText(note)
            self._select_current()
        finally:
            self._populating = False

    def _select_current(self) -> None:
        s = self.controller.settings.source
        for i in range(self.combo.count()):
            d = self.combo.itemData(i)
            if d["kind"] == s.kind and (d["uri"] == s.uri or s.kind == SourceKind.SYNTHETIC):
                self.combo.setCurrentIndex(i)
                return

    def _sync_from_settings(self) -> None:
        s = self.controller.settings.source
        i = self.resolution.findData((s.width, s.height))
        if i < 0:
            self.resolution.addItem(f"{s.width} x {s.height}", (s.width, s.height))
            i = self.resolution.count() - 1
        self.resolution.setCurrentIndex(i)
        self.fps.setValue(int(round(s.fps)))

    # -- choices ---------------------------------------------------------------------------------------------
    def _combo_changed(self, index: int) -> None:
        if self._populating or index < 0:
            return
        d = self.combo.itemData(index)
        self.choose(d["kind"], d["uri"])

    def _pick(self, kind: str) -> None:
        exts = VIDEO_EXT if kind == SourceKind.FILE else IMAGE_EXT
        pattern = " ".join(f"*{e}" for e in exts)
        title = "Open a video file" if kind == SourceKind.FILE else "Open an image"
        path, _ = QFileDialog.getOpenFileName(self, title, "", f"{kind} ({pattern});;all files (*)")
        if path:
            self.choose(kind, path)

    def choose(self, kind: str, uri: str = "") -> bool:
        """Switch to this source (also what the file pickers and the list end in)."""
        ok = self.controller.update("source", kind=kind, uri=uri)
        if ok:
            if kind in SOURCE_KINDS_WITH_FILE and self.combo.findText(f"{kind}: {Path(uri).name}") < 0:
                self._populating = True
                self.combo.addItem(f"{kind}: {Path(uri).name}", {"kind": kind, "uri": uri})
                self._populating = False
            self._populating = True
            self._select_current()
            self._populating = False
            self.source_chosen.emit(kind, uri)
        return ok

    def _mode_changed(self, *_):
        w, h = self.resolution.currentData()
        if self.controller.update("source", width=w, height=h, fps=float(self.fps.value())):
            if self.controller.settings.source.kind in (SourceKind.CAMERA, SourceKind.SYNTHETIC, SourceKind.AUTO):
                s = self.controller.settings.source
                self.source_chosen.emit(s.kind, s.uri)

    def show_state(self, name: str, state: str) -> None:
        self.state.setText(f"Now: {name} — {state}" if name else "")
