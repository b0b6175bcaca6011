"""Background gallery: none (transparent), blur with strength, colours, bundled pictures, and the user's own pictures
and videos (file dialog or drag and drop). The choice and the user's files are remembered in the settings."""

from __future__ import annotations

import logging
import math
from pathlib import Path

import cv2
import numpy as np
from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import (
    QColorDialog, QFileDialog, QHBoxLayout, QLabel, QListView, QListWidget, QListWidgetItem, QPushButton, QSlider,
    QVBoxLayout, QWidget,
)

from studio.core import paths
from studio.ui.preview import checker_brush_pixmap
from studio.ui.qimage import bgr_to_qimage
from studio.core.kinds import (BACKGROUND_KINDS_WITH_FILE, MOVING_SOURCE_SUFFIXES, STILL_SOURCE_SUFFIXES,
                                 BackgroundKind)
from studio.ui.settings_controller import SettingsController

log = logging.getLogger(__name__)

THUMB = QSize(112, 63)
IMAGE_EXT = STILL_SOURCE_SUFFIXES
VIDEO_EXT = MOVING_SOURCE_SUFFIXES
SWATCHES = ["#00b140", "#ffffff", "#808080", "#1e2a44"]
# What a swatch is called (under its tile and for screen readers); a colour picked in the dialog is named by its code.
SWATCH_NAMES = {"#00b140": "chroma green", "#ffffff": "white", "#808080": "grey", "#1e2a44": "navy",
                "#000000": "black", "#0000ff": "blue", "#ff0000": "red"}


def colour_name(colour: str) -> str:
    return SWATCH_NAMES.get(colour.lower(), f"colour {colour.lower()}")
MAX_RECENT = 12


def bundled_backgrounds() -> list[Path]:
    folder = paths.resources_dir() / "backgrounds"
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.suffix.lower() in IMAGE_EXT)


def kind_for_path(path: str) -> str | None:
    ext = Path(path).suffix.lower()
    return "image" if ext in IMAGE_EXT else "video" if ext in VIDEO_EXT else None


def thumbnail(path: Path) -> QPixmap:
    """A small picture of an image or of a video's first frame; a grey tile when it cannot be read."""
    img = None
    try:
        if kind_for_path(str(path)) == "video":
            cap = cv2.VideoCapture(str(path))
            ok, frame = cap.read()
            cap.release()
            img = frame if ok else None
        else:
            img = cv2.imread(str(path), cv2.IMREAD_COLOR)
    except cv2.error:
        img = None
    if img is None:
        pm = QPixmap(THUMB)
        pm.fill(QColor(80, 80, 80))
        return pm
    h, w = img.shape[:2]
    scale = max(THUMB.width() / w, THUMB.height() / h)
    size = (max(THUMB.width(), math.ceil(w * scale)), max(THUMB.height(), math.ceil(h * scale)))
    small = cv2.resize(img, size, interpolation=cv2.INTER_AREA)
    y0 = (small.shape[0] - THUMB.height()) // 2
    x0 = (small.shape[1] - THUMB.width()) // 2
    crop = np.ascontiguousarray(small[y0:y0 + THUMB.height(), x0:x0 + THUMB.width()])
    return QPixmap.fromImage(bgr_to_qimage(crop).copy())


def _tile(fill) -> QPixmap:
    pm = QPixmap(THUMB)
    p = QPainter(pm)
    if isinstance(fill, QPixmap):
        p.drawTiledPixmap(pm.rect(), fill)
    else:
        p.fillRect(pm.rect(), fill)
    p.end()
    return pm


def _blur_tile() -> QPixmap:
    arr = np.zeros((THUMB.height(), THUMB.width(), 3), np.uint8)
    cv2.circle(arr, (35, 30), 18, (90, 160, 230), -1)
    cv2.circle(arr, (80, 38), 14, (200, 150, 90), -1)
    arr = cv2.GaussianBlur(arr, (0, 0), 6)
    return QPixmap.fromImage(bgr_to_qimage(arr).copy())


class BackgroundGallery(QListWidget):
    """The thumbnail list; accepts dropped image and video files."""

    files_dropped = Signal(list)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setViewMode(QListView.ViewMode.IconMode)
        self.setIconSize(THUMB)
        self.setGridSize(QSize(THUMB.width() + 12, THUMB.height() + 30))
        self.setResizeMode(QListView.ResizeMode.Adjust)
        self.setMovement(QListView.Movement.Static)
        self.setWordWrap(True)
        self.setAcceptDrops(True)
        self.setDragEnabled(False)
        self.setMinimumHeight(2 * (THUMB.height() + 34))

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()
        else:
            super().dragMoveEvent(event)

    def dropEvent(self, event) -> None:  # noqa: N802
        urls = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            event.acceptProposedAction()
            self.files_dropped.emit(urls)
        else:
            super().dropEvent(event)


class BackgroundPanel(QWidget):
    rejected = Signal(str, str)  # message, hint: for a banner

    def __init__(self, controller: SettingsController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.controller = controller
        lay = QVBoxLayout(self)
        self.gallery = BackgroundGallery()
        self.gallery.setObjectName("background_gallery")
        lay.addWidget(self.gallery, 1)
        blur_row = QHBoxLayout()
        blur_row.addWidget(QLabel("Blur"))
        self.blur = QSlider(Qt.Orientation.Horizontal)
        self.blur.setRange(1, 151)
        self.blur.setSingleStep(2)
        self.blur.setValue(controller.settings.background.blur_strength)
        blur_row.addWidget(self.blur, 1)
        lay.addLayout(blur_row)
        btns = QHBoxLayout()
        self.colour_btn = QPushButton("Colour…")
        self.add_btn = QPushButton("Add picture or video…")
        btns.addWidget(self.colour_btn)
        btns.addWidget(self.add_btn)
        lay.addLayout(btns)
        hint = QLabel("Drop pictures or videos on the gallery to add them.")
        hint.setStyleSheet("color:#999;")
        lay.addWidget(hint)

        self._filling = False
        self.populate()
        self.gallery.currentItemChanged.connect(self._item_changed)
        self.gallery.files_dropped.connect(self.add_files)
        self.blur.valueChanged.connect(self._blur_changed)
        self.colour_btn.clicked.connect(self._pick_colour)
        self.add_btn.clicked.connect(self._pick_files)

    # -- items -----------------------------------------------------------------------------------------------
    def populate(self) -> None:
        self._filling = True
        try:
            self.gallery.clear()
            self._add("None (transparent)", {"kind": BackgroundKind.NONE.value}, _tile(checker_brush_pixmap(8)))
            self._add("Blur", {"kind": BackgroundKind.BLUR.value}, _blur_tile())
            colour = self.controller.settings.background.color
            for c in dict.fromkeys([*SWATCHES, colour]):
                self._add(colour_name(c), {"kind": BackgroundKind.COLOR.value, "color": c}, _tile(QColor(c)))
            for p in bundled_backgrounds():
                self._add(p.stem.replace("-", " "), {"kind": BackgroundKind.IMAGE.value, "path": str(p)}, thumbnail(p))
            for path in self.controller.settings.recent_backgrounds:
                kind = kind_for_path(path)
                if kind and Path(path).is_file():
                    self._add(Path(path).name, {"kind": kind, "path": path}, thumbnail(Path(path)))
            self._select_current()
        finally:
            self._filling = False

    def _add(self, label: str, data: dict, pm: QPixmap) -> QListWidgetItem:
        item = QListWidgetItem(QIcon(pm), label)
        item.setData(Qt.ItemDataRole.UserRole, data)
        tip = data.get("path") or (f"{label} ({data['color']})" if data.get("kind") == "color" else label)
        item.setToolTip(tip)
        item.setData(Qt.ItemDataRole.AccessibleTextRole, tip)
        self.gallery.addItem(item)
        return item

    def items(self) -> list[dict]:
        return [self.gallery.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.gallery.count())]

    def find(self, **match) -> int:
        for i, d in enumerate(self.items()):
            if all(d.get(k) == v for k, v in match.items()):
                return i
        return -1

    def _select_current(self) -> None:
        b = self.controller.settings.background
        match = {"kind": b.kind}
        if b.kind == BackgroundKind.COLOR:
            match["color"] = b.color
        elif b.kind in BACKGROUND_KINDS_WITH_FILE:
            match["path"] = b.path
        i = self.find(**match)
        if i >= 0:
            self.gallery.setCurrentRow(i)

    # -- choices ---------------------------------------------------------------------------------------------
    def _item_changed(self, item, _previous=None) -> None:
        if self._filling or item is None:
            return
        self.choose(item.data(Qt.ItemDataRole.UserRole))

    def choose(self, data: dict) -> bool:
        values = {"kind": data["kind"]}
        if data["kind"] == "color":
            values["color"] = data["color"]
        if data["kind"] in ("image", "video"):
            values["path"] = data["path"]
        return self.controller.update("background", **values)

    def _blur_changed(self, v: int) -> None:
        v = v | 1  # odd kernel sizes only
        self.controller.update("background", blur_strength=v)
        if self.controller.settings.background.kind != BackgroundKind.BLUR:
            self.gallery.setCurrentRow(self.find(kind=BackgroundKind.BLUR.value))

    def set_colour(self, colour: str) -> None:
        i = self.find(kind=BackgroundKind.COLOR.value, color=colour)
        if i < 0:
            self._filling = True
            self._add(colour_name(colour), {"kind": BackgroundKind.COLOR.value, "color": colour}, _tile(QColor(colour)))
            self._filling = False
            i = self.gallery.count() - 1
        self.gallery.setCurrentRow(i)

    def _pick_colour(self) -> None:
        dlg = QColorDialog(QColor(self.controller.settings.background.color), self)
        dlg.setOption(QColorDialog.ColorDialogOption.DontUseNativeDialog, True)
        dlg.colorSelected.connect(lambda c: self.set_colour(c.name()))
        dlg.open()  # window-modal but asynchronous: the event loop (and the preview) keeps running

    def _pick_files(self) -> None:
        exts = " ".join(f"*{e}" for e in IMAGE_EXT + VIDEO_EXT)
        files, _ = QFileDialog.getOpenFileNames(self, "Add backgrounds", "", f"pictures and videos ({exts})")
        if files:
            self.add_files(files)

    def add_files(self, files: list[str]) -> int:
        """Add user files to the gallery (and the settings); selects the last one added. Returns how many."""
        added = 0
        last = -1
        recent = list(self.controller.settings.recent_backgrounds)
        for f in files:
            kind = kind_for_path(f)
            if kind is None or not Path(f).is_file():
                self.rejected.emit(f"cannot use {Path(f).name} as a background",
                                   "use a picture (PNG, JPEG, WebP) or a video (MP4, MOV, AVI, MKV, WebM)")
                continue
            f = str(Path(f).resolve())
            i = self.find(path=f)
            if i < 0:
                self._filling = True
                self._add(Path(f).name, {"kind": kind, "path": f}, thumbnail(Path(f)))
                self._filling = False
                i = self.gallery.count() - 1
            if f in recent:
                recent.remove(f)
            recent.insert(0, f)
            added += 1
            last = i
        if added:
            self.controller.update("recent_backgrounds", value=recent[:MAX_RECENT])
            self.gallery.setCurrentRow(last)
        return added
