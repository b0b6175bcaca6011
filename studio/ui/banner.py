"""Non-modal error banners: a message, what to do about it, a close button. Never a modal dialog, never a traceback."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer, Signal
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


class BannerArea(QWidget):
    """A column of banners. The same key replaces the older banner instead of stacking (a camera that keeps failing
    shows one banner, not fifty); info banners fade after a few seconds, errors stay until dismissed or resolved."""

    MAX = 4

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._lay = QVBoxLayout(self)
        self._lay.setContentsMargins(4, 4, 4, 0)
        self._lay.setSpacing(4)
        self.banners: list[Banner] = []
        self.setVisible(False)

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
