"""The live preview: paints the newest frame scaled to the widget (aspect kept), a checkerboard behind transparent
pixels, and a before/after toggle (the captured frame instead of the composite)."""

from __future__ import annotations

from PySide6.QtCore import QRectF, QSize, Qt, Signal
from PySide6.QtGui import QColor, QImage, QPainter, QPixmap
from PySide6.QtWidgets import QSizePolicy, QWidget


def checker_brush_pixmap(cell: int = 12) -> QPixmap:
    pm = QPixmap(cell * 2, cell * 2)
    pm.fill(QColor(204, 204, 204))
    p = QPainter(pm)
    p.fillRect(0, 0, cell, cell, QColor(153, 153, 153))
    p.fillRect(cell, cell, cell, cell, QColor(153, 153, 153))
    p.end()
    return pm


def fit_rect(img_w: int, img_h: int, area_w: int, area_h: int) -> QRectF:
    """The largest rectangle of the image's aspect that fits the area, centred."""
    if img_w <= 0 or img_h <= 0 or area_w <= 0 or area_h <= 0:
        return QRectF()
    scale = min(area_w / img_w, area_h / img_h)
    w, h = img_w * scale, img_h * scale
    return QRectF((area_w - w) / 2, (area_h - h) / 2, w, h)


class PreviewWidget(QWidget):
    """Shows one QImage at a time. ``set_frame`` only stores and schedules a repaint: painting happens at the
    widget's pace, and a frame that arrives before the previous one was painted simply replaces it."""

    clicked = Signal()

    def __init__(self, parent: QWidget | None = None, placeholder: str = "waiting for the first frame") -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(320, 180)
        self.setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent)
        self._image: QImage | None = None
        self._before: QImage | None = None
        self.show_before = False
        self.placeholder = placeholder
        self.background = QColor(24, 24, 28)
        self._checker = checker_brush_pixmap()
        self.paints = 0

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt naming
        return QSize(960, 540)

    def set_frame(self, image: QImage | None, before: QImage | None = None) -> None:
        self._image = image
        self._before = before
        self.update()

    def set_show_before(self, on: bool) -> None:
        self.show_before = on
        self.update()

    def current_image(self) -> QImage | None:
        return self._before if self.show_before and self._before is not None else self._image

    def mousePressEvent(self, event) -> None:  # noqa: N802
        self.clicked.emit()
        super().mousePressEvent(event)

    def paintEvent(self, event) -> None:  # noqa: N802
        p = QPainter(self)
        p.fillRect(self.rect(), self.background)
        img = self.current_image()
        if img is None or img.isNull():
            p.setPen(QColor(170, 170, 170))
            p.drawText(self.rect(), Qt.AlignmentFlag.AlignCenter, self.placeholder)
            p.end()
            return
        target = fit_rect(img.width(), img.height(), self.width(), self.height())
        if img.hasAlphaChannel():
            p.drawTiledPixmap(target, self._checker)
        p.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
        p.drawImage(target, img)
        if self.show_before:
            p.setPen(QColor(255, 255, 255))
            p.drawText(target.adjusted(8, 6, -8, -6), Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop,
                       "before")
        p.end()
        self.paints += 1
