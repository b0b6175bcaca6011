"""Non-modal error banners: a message, what to do about it, a close button. Never a modal dialog, never a traceback."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

STYLES = {
    "error": "background:#5c1f1f; color:#ffecec; border:1px solid #a33;",
    "warning": "background:#5a4510; color:#fff6dc; border:1px solid #a8831c;",
    "info": "background:#1d3b57; color:#e6f2ff; border:1px solid #2f6da3;",
}


class Banner(QWidget):
    closed = Signal(object)

    def __init__(self, message: str, hint: str = "", level: str = "error", key: str = "") -> None:
        super().__init__()
        self.key = key or message
        self.level = level
        self.message = message
        self.hint = hint
        self.setAttribute(Qt.WidgetAttribute.WA_StyledBackground, True)
        self.setStyleSheet(f"Banner {{{STYLES.get(level, STYLES['error'])} border-radius:4px;}}")
        lay = QHBoxLayout(self)
        lay.setContentsMargins(10, 6, 6, 6)
        text = f"<b>{_esc(message)}</b>" + (f"<br>{_esc(hint)}" if hint else "")
        self.label = QLabel(text)
        self.label.setWordWrap(True)
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.label.setStyleSheet("background:transparent; border:none;")
        lay.addWidget(self.label, 1)
        btn = QPushButton("✕")
        btn.setFixedWidth(28)
        btn.setToolTip("dismiss")
        btn.clicked.connect(lambda: self.closed.emit(self))
        lay.addWidget(btn, 0, Qt.AlignmentFlag.AlignTop)


def _esc(s: str) -> str:
    return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\n", "<br>")


class _FollowHost(QObject):
    """Calls ``place`` whenever the host widget is resized (overlays keep their place over it)."""

    def __init__(self, host: QWidget, place) -> None:
        super().__init__(host)
        self._place = place
        host.installEventFilter(self)

    def eventFilter(self, obj, event) -> bool:  # noqa: N802
        if event.type() in (QEvent.Type.Resize, QEvent.Type.Show):
            self._place()
        return False


class BannerArea(QWidget):
    """A column of banners. The same key replaces the older banner instead of stacking (a camera that keeps failing
    shows one banner, not fifty); info banners fade after a few seconds, errors stay until dismissed or resolved.

    ``overlay=True`` (with a parent) lays the banners over the top of the parent instead of taking a row of the
    layout: a banner coming or going never moves or resizes the picture under it."""

    MAX = 4

    def __init__(self, parent: QWidget | None = None, *, overlay: bool = False) -> None:
        super().__init__(parent)
        self._lay = QVBoxLayout(self)
        self._lay.setContentsMargins(4, 4, 4, 0)
        self._lay.setSpacing(4)
        self.banners: list[Banner] = []
        self.overlay = overlay and parent is not None
        if self.overlay:
            self.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground, True)
            _FollowHost(parent, self.place)
        self.setVisible(False)

    def event(self, event) -> bool:
        if getattr(self, "overlay", False) and event.type() == QEvent.Type.LayoutRequest:
            QTimer.singleShot(0, self, self.place)  # a banner's text or font changed: fit the new height
        return super().event(event)

    def place(self) -> None:
        """Overlay mode: span the parent's width, as tall as the banners need (at most half the parent)."""
        host = self.parentWidget()
        if not self.overlay or host is None:
            return
        self.ensurePolished()  # the host's style sheet (the kiosk's big fonts) decides the height a banner needs
        self._lay.invalidate()
        self._lay.activate()
        need = self.heightForWidth(host.width()) if self.hasHeightForWidth() else -1
        h = min(need if need > 0 else self.sizeHint().height(), max(40, host.height() // 2))
        self.setGeometry(0, 0, host.width(), h)
        self.raise_()

    def show_message(self, message: str, hint: str = "", level: str = "error", key: str = "",
                     timeout_ms: int | None = None) -> Banner:
        self.clear(key or message)
        banner = Banner(message, hint, level, key)
        banner.closed.connect(self._remove)
        self.banners.append(banner)
        self._lay.addWidget(banner)
        while len(self.banners) > self.MAX:
            self._remove(self.banners[0])
        self.setVisible(True)
        self.place()
        if timeout_ms is None and level == "info":
            timeout_ms = 5000
        if timeout_ms:
            QTimer.singleShot(timeout_ms, banner, lambda: self._remove(banner))
        return banner

    def show_error(self, exc: BaseException, key: str = "") -> Banner:
        message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        return self.show_message(message, getattr(exc, "hint", ""), "error", key)

    def clear(self, key: str) -> None:
        for b in [b for b in self.banners if b.key == key]:
            self._remove(b)

    def messages(self) -> list[str]:
        return [b.message for b in self.banners]

    def _remove(self, banner: Banner) -> None:
        if banner in self.banners:
            self.banners.remove(banner)
            banner.setParent(None)
            banner.deleteLater()
        self.setVisible(bool(self.banners))
        self.place()


class CornerBadge(QLabel):
    """A small label pinned to the bottom-left corner of its parent (over the picture, clear of the banners at the
    top), e.g. "DEMO"."""

    def __init__(self, text: str, parent: QWidget, *, tooltip: str = "") -> None:
        super().__init__(text, parent)
        self.setStyleSheet("background:rgba(20,20,24,190); color:#ffd54f; border:1px solid #a8831c; "
                           "border-radius:4px; padding:3px 8px; font-weight:bold;")
        self.setToolTip(tooltip)
        self.setVisible(False)
        _FollowHost(parent, self.place)

    def place(self) -> None:
        host = self.parentWidget()
        self.adjustSize()
        self.move(8, max(0, host.height() - self.height() - 8))
        self.raise_()

    def set_shown(self, on: bool) -> None:
        if on != self.isVisible():
            self.setVisible(on)
            self.place()
