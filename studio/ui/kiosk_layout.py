"""The kiosk's widgets and how they are arranged: a bar of shot settings, the live/review picture with a countdown
over it, big touch-friendly buttons, and a strip of recent shots.

What the controls do (capture, review, save) is KioskWindow's, in studio.ui.kiosk; it wires them up.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSize, Qt
from PySide6.QtWidgets import (
    QComboBox, QHBoxLayout, QLabel, QLineEdit, QListView, QListWidget, QPushButton, QStackedWidget, QVBoxLayout,
    QWidget,
)

from studio.config import KioskSettings
from studio.ui.banner import BannerArea, CornerBadge
from studio.ui.preview import PreviewWidget
from studio.ui.shots import PRESETS

BIG = "font-size:22px; min-height:64px; padding:6px 14px; border-radius:8px;"
STYLE = f"""
QWidget#kiosk {{ background:#16161a; color:#eee; }}
QWidget#kiosk QLabel {{ font-size:17px; }}
QWidget#kiosk QLineEdit, QWidget#kiosk QComboBox, QWidget#kiosk QSpinBox {{ font-size:18px; min-height:44px; }}
QPushButton[class="toggle"] {{ font-size:17px; min-height:44px; padding:4px 14px; border-radius:6px;
    background:#2c2d33; border:1px solid #555; }}
QPushButton[class="toggle"]:checked {{ background:#2f7dd1; color:white; }}
QPushButton#capture {{ {BIG} font-size:28px; min-width:260px; background:#2e7d32; color:white; }}
QPushButton#save {{ {BIG} min-width:170px; background:#1565c0; color:white; }}
QPushButton#retake {{ {BIG} min-width:140px; background:#5d4037; color:white; }}
QPushButton[class="bg"] {{ {BIG} min-width:90px; background:#2c2d33; border:1px solid #555; }}
QPushButton[class="bg"]:checked {{ background:#2f7dd1; color:white; }}
QPushButton#folder {{ font-size:17px; min-height:44px; padding:4px 14px; }}
QLabel#countdown {{ font-size:140px; font-weight:bold; color:white; background:transparent; }}
"""


class KioskLayout(QWidget):
    """The kiosk window's widgets, as attributes (``sku``, ``format``, ``capture_btn``, ``live``, ``review``, ...).
    ``lay_out`` builds them once the subclass knows the settings to show; ``show_mode`` switches the button row."""

    def __init__(self) -> None:
        super().__init__()
        self.setObjectName("kiosk")
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setWindowTitle("Studio kiosk — product shots")
        self.setStyleSheet(STYLE)
        self.resize(1280, 800)

    def lay_out(self, k: KioskSettings, folder: Path) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(12, 8, 12, 8)
        root.addLayout(self._top_bar(k, folder))
        self.stack = QStackedWidget()
        self.live = PreviewWidget(placeholder="starting the camera…")
        self.review = PreviewWidget(placeholder="cutting out…")
        self.stack.addWidget(self.live)
        self.stack.addWidget(self.review)
        root.addWidget(self.stack, 1)
        # Banners lie over the top of the picture: one coming or going never moves the buttons under a finger.
        self.banners = BannerArea(self.stack, overlay=True)
        self.demo_badge = CornerBadge("DEMO — generated product", self.live,
                                      tooltip="a generated scene, not a camera: plug one in")
        self.countdown = QLabel("", self.live)
        self.countdown.setObjectName("countdown")
        self.countdown.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.countdown.hide()
        root.addLayout(self._button_bar())
        self.recent = QListWidget()
        self.recent.setViewMode(QListView.ViewMode.IconMode)
        self.recent.setFlow(QListView.Flow.LeftToRight)
        self.recent.setWrapping(False)
        self.recent.setIconSize(QSize(120, 90))
        self.recent.setFixedHeight(128)
        self.recent.setMovement(QListView.Movement.Static)
        recent_label = QLabel("Recent shots")
        recent_label.setStyleSheet("color:#aaa; font-size:15px;")
        root.addWidget(recent_label)
        root.addWidget(self.recent)

    def _top_bar(self, k: KioskSettings, folder: Path) -> QVBoxLayout:
        rows = QVBoxLayout()
        bar = QHBoxLayout()
        rows.addLayout(bar)
        bar.addWidget(QLabel("SKU / name"))
        self.sku = QLineEdit()
        self.sku.setPlaceholderText("e.g. MUG-0042")
        self.sku.setMinimumWidth(200)
        bar.addWidget(self.sku, 1)
        bar.addWidget(QLabel("Folder"))
        self.folder_label = QLabel(str(folder))
        self.folder_label.setMinimumWidth(160)
        self.folder_label.setMaximumWidth(320)
        bar.addWidget(self.folder_label, 1)
        self.folder_btn = QPushButton("Change…")
        self.folder_btn.setObjectName("folder")
        bar.addWidget(self.folder_btn)
        bar = QHBoxLayout()
        rows.addLayout(bar)
        bar.addWidget(QLabel("Format"))
        self.format = QComboBox()
        for key, (label, _ext) in PRESETS.items():
            self.format.addItem(label, key)
        self.format.setCurrentIndex(max(0, self.format.findData(k.format)))
        bar.addWidget(self.format)
        self.flicker = QPushButton("Flicker fix")
        self.flicker.setCheckable(True)
        self.flicker.setProperty("class", "toggle")
        self.flicker.setToolTip("suppress banding from mains-powered lights")
        self.flicker.setChecked(k.flicker)
        self.white_balance = QPushButton("White balance")
        self.white_balance.setCheckable(True)
        self.white_balance.setProperty("class", "toggle")
        self.white_balance.setChecked(k.white_balance)
        self.best_quality = QPushButton("Best quality")
        self.best_quality.setCheckable(True)
        self.best_quality.setProperty("class", "toggle")
        self.best_quality.setToolTip("several looks at the shot, fused: cleaner edges and fewer missed parts, "
                                     "about a second longer per shot")
        self.best_quality.setChecked(k.best_quality)
        bar.addWidget(self.flicker)
        bar.addWidget(self.white_balance)
        bar.addWidget(self.best_quality)
        bar.addWidget(QLabel("Timer"))
        self.countdown_s = QComboBox()
        for secs in (0, 3, 5, 10):
            self.countdown_s.addItem("off" if secs == 0 else f"{secs} s", secs)
        if self.countdown_s.findData(k.countdown_s) < 0:
            self.countdown_s.addItem(f"{k.countdown_s} s", k.countdown_s)
        self.countdown_s.setCurrentIndex(self.countdown_s.findData(k.countdown_s))
        bar.addWidget(self.countdown_s)
        bar.addStretch(1)
        return rows

    def _button_bar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        self.capture_btn = QPushButton("Capture")
        self.capture_btn.setObjectName("capture")
        self.bg_buttons: dict[str, QPushButton] = {}
        for key, label in (("checker", "Checker"), ("white", "White"), ("colour", "Colour…")):
            b = QPushButton(label)
            b.setProperty("class", "bg")
            b.setCheckable(key != "colour")
            self.bg_buttons[key] = b
        self.save_btn = QPushButton("Save")
        self.save_btn.setObjectName("save")
        self.retake_btn = QPushButton("Retake")
        self.retake_btn.setObjectName("retake")
        self.status = QLabel("")
        bar.addWidget(self.status, 1)
        for b in self.bg_buttons.values():
            bar.addWidget(b)
        bar.addSpacing(24)
        bar.addWidget(self.retake_btn)
        bar.addWidget(self.save_btn)
        bar.addWidget(self.capture_btn)
        return bar

    def show_mode(self, mode: str, backdrop: str) -> None:
        """live: only Capture; review: backdrop choices (``backdrop`` checked), Save and Retake."""
        live = mode == "live"
        self.stack.setCurrentWidget(self.live if live else self.review)
        review_buttons = (*self.bg_buttons.values(), self.save_btn, self.retake_btn)
        # Hide before showing: with both rows visible for a moment the layout asks for ~1400 px and the window grows
        # past a 1280-wide screen (it never shrinks back on its own).
        for b in (review_buttons if live else (self.capture_btn,)):
            b.setVisible(False)
        for b in ((self.capture_btn,) if live else review_buttons):
            b.setVisible(True)
        self.bg_buttons["checker"].setChecked(backdrop == "checker")
        self.bg_buttons["white"].setChecked(backdrop == "white")
