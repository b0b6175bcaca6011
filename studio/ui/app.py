"""Start the GUI: QApplication, the main window or the kiosk, optional screenshot-and-quit (for docs and CI)."""

from __future__ import annotations

import dataclasses
import logging
import signal
import sys
from pathlib import Path

from studio.config import Settings
from studio.core.errors import StudioError

log = logging.getLogger(__name__)


def source_settings_for(settings: Settings, source: str | None) -> Settings:
    """--source SRC: "demo" (the scene shown without a camera), "synthetic[:motion]", a camera index/path/URL, a video
    file or an image."""
    if not source:
        return settings
    if source == "demo":
        from studio.capture.synthetic import DEMO_MOTION

        kind, uri = "synthetic", DEMO_MOTION
    elif source == "synthetic":
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


class ScriptedCaptures:
    """Kiosk screenshots: press Capture at the given times as staff would. Before each Capture after the first, the
    shot on screen is saved (to the window's shot folder: the caller points it at a scratch folder), so the
    recent-shots strip fills; a Capture whose previous cutout is still running waits for it."""

    POLL_MS = 100

    def __init__(self, window, seconds: list[float]) -> None:
        from PySide6.QtCore import QTimer

        self.window = window
        self.pressed = 0
        self.total = len(seconds)
        for t in sorted(seconds):
            QTimer.singleShot(int(t * 1000), self._press)

    def cutting_out(self) -> bool:
        w = self.window
        return w.stack.currentWidget() is w.review and w.shot is None

    def done(self) -> bool:
        """Every Capture pressed and its cutout on screen (or failed, which leaves the live view)."""
        return self.pressed == self.total and not self.cutting_out()

    def _press(self) -> None:
        from PySide6.QtCore import QTimer

        w = self.window
        if self.cutting_out():
            QTimer.singleShot(self.POLL_MS, self._press)
            return
        if w.shot is not None:
            w.save()
        if w.bridge.latest is None:  # no picture yet: try again shortly rather than show a warning banner
            QTimer.singleShot(self.POLL_MS, self._press)
            return
        w.capture()
        self.pressed += 1


def _default_offscreen(app) -> bool:
    """The offscreen platform with its built-in screen (not one described by a configfile=...)."""
    import os

    return app.platformName() == "offscreen" and "configfile" not in os.environ.get("QT_QPA_PLATFORM", "")


def _log_first_preview(window) -> None:
    """Log (info) when the window was shown and when its first preview frame arrived, in seconds from the process's
    start: the GUI's cold start (`studio -v gui`)."""
    from studio.telemetry.system import process_age_s

    bridge = getattr(window, "bridge", None)
    shown = process_age_s()
    if bridge is None or shown is None:
        return

    def first_frame() -> None:
        bridge.frame_ready.disconnect(first_frame)
        log.info("cold start: window shown %.2f s, first preview frame %.2f s after the process started",
                 shown, process_age_s() or 0.0)

    bridge.frame_ready.connect(first_frame)


def run(*, source: str | None = None, kiosk: bool = False, screenshot: Path | None = None,
        quit_after: float | None = None, settings_path: Path | None = None, capture_after: list[float] = ()) -> int:
    import tempfile

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from studio.ui.compat import check_binding

    check_binding()
    from studio.ui.settings_load import load_for_gui

    loaded = load_for_gui(Path(settings_path).expanduser() if settings_path else None)
    settings = source_settings_for(loaded.settings, source)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Studio")
    dark_palette(app)
    # A screenshot run leaves the settings file as it was (a scripted capture points the shot folder elsewhere).
    # A settings file with a part the app could not honour is left as it was (nothing saved over it).
    persist = screenshot is None and loaded.file_ok
    if kiosk:
        from studio.ui.kiosk import KioskWindow

        window = KioskWindow(settings, settings_path=settings_path, persist=persist)
    else:
        from studio.ui.main_window import MainWindow

        window = MainWindow(settings, settings_path=settings_path, persist=persist)
        if screenshot is not None and _default_offscreen(app):
            # Docs screenshots: the offscreen platform's made-up 800x800 screen is nobody's; render at design size.
            from PySide6.QtCore import QRect

            window.fit_to_screen(QRect(0, 0, 1440, 880 + 32))
    for i, problem in enumerate(loaded.problems):
        window.banners.show_message(problem.message, problem.hint, "warning", key=f"settings-file:{i}")
    result = {"rc": 0}
    scratch = script = None
    if kiosk and capture_after:
        scratch = tempfile.TemporaryDirectory(prefix="studio-shots-")
        window.set_output_folder(scratch.name)
    # The last cutout may take longer than planned on a busy box: the screenshot waits for it, up to this long.
    deadline = {"polls": 300}

    def finish() -> None:
        if script is not None and not script.done() and deadline["polls"] > 0:
            deadline["polls"] -= 1
            QTimer.singleShot(ScriptedCaptures.POLL_MS, finish)
            return
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
    _log_first_preview(window)
    if scratch is not None:
        script = ScriptedCaptures(window, list(capture_after))
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
    if scratch is not None:
        scratch.cleanup()
    return result["rc"]
