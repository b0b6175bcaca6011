"""Start the GUI: QApplication, the main window or the kiosk, optional screenshot-and-quit (for docs and CI)."""

from __future__ import annotations

import dataclasses
import logging
import signal
import sys
from pathlib import Path

from studio.config import Settings, load_settings
from studio.core.errors import StudioError

log = logging.getLogger(__name__)


def source_settings_for(settings: Settings, source: str | None) -> Settings:
    """--source SRC: "demo" (or "synthetic[:motion]"), a camera index/path/URL, a video file or an image."""
    if not source:
        return settings
    if source in ("demo", "synthetic"):
        kind, uri = "synthetic", ""
    elif source.startswith("synthetic:"):
        kind, uri = "synthetic", source.split(":", 1)[1]
    else:
        kind, uri = "auto", source
    return dataclasses.replace(settings, source=dataclasses.replace(settings.source, kind=kind, uri=uri))


def dark_palette(app) -> None:
    from PySide6.QtGui import QColor, QPalette

    app.setStyle("Fusion")
    pal = QPalette()
    for role, colour in (
        (QPalette.ColorRole.Window, "#202126"), (QPalette.ColorRole.WindowText, "#e8e8e8"),
        (QPalette.ColorRole.Base, "#17181c"), (QPalette.ColorRole.AlternateBase, "#24252b"),
        (QPalette.ColorRole.Text, "#e8e8e8"), (QPalette.ColorRole.Button, "#2c2d33"),
        (QPalette.ColorRole.ButtonText, "#e8e8e8"), (QPalette.ColorRole.Highlight, "#2f7dd1"),
        (QPalette.ColorRole.HighlightedText, "#ffffff"), (QPalette.ColorRole.ToolTipBase, "#2c2d33"),
        (QPalette.ColorRole.ToolTipText, "#e8e8e8"), (QPalette.ColorRole.PlaceholderText, "#888888"),
    ):
        pal.setColor(role, QColor(colour))
    app.setPalette(pal)


def grab_to_png(widget, path: Path) -> None:
    from studio.core.atomic import atomic_path

    pm = widget.grab()
    with atomic_path(path) as tmp:
        if not pm.save(str(tmp), "PNG"):
            raise StudioError(f"could not write the screenshot {path}")


def run(*, source: str | None = None, kiosk: bool = False, screenshot: Path | None = None,
        quit_after: float | None = None, settings_path: Path | None = None) -> int:
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from studio.ui.compat import check_binding

    check_binding()
    settings = source_settings_for(load_settings(settings_path), source)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Studio")
    dark_palette(app)
    if kiosk:
        from studio.ui.kiosk import KioskWindow

        window = KioskWindow(settings, settings_path=settings_path)
    else:
        from studio.ui.main_window import MainWindow

        window = MainWindow(settings, settings_path=settings_path)
    result = {"rc": 0}

    def finish() -> None:
        if screenshot is not None:
            try:
                grab_to_png(window, screenshot)
                print(f"screenshot written to {screenshot}")
            except (StudioError, OSError) as exc:
                print(f"studio: error: {exc}", file=sys.stderr)
                result["rc"] = 2
        window.close()

    window.closed.connect(app.quit)
    if kiosk and screenshot is None:
        window.showFullScreen()
    else:
        window.show()
    window.start()
    if quit_after is not None:
        QTimer.singleShot(int(quit_after * 1000), finish)
    # Ctrl-C in the terminal closes the window cleanly (Python only sees signals between Qt events: poll briefly).
    signal.signal(signal.SIGINT, lambda *_: window.close())
    poll = QTimer()
    poll.start(200)
    poll.timeout.connect(lambda: None)
    app.exec()
    poll.stop()
    if not window.shutdown():
        print("studio: warning: some pipeline threads did not stop in time", file=sys.stderr)
        result["rc"] = result["rc"] or 1
    return result["rc"]
