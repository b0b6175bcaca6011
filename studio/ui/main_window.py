"""The main window: live preview in the middle, panels on the side, banners on top; it owns the pipeline's life.

Threads: the window never calls into runtimes. It hands settings to the pipeline (``apply_settings`` / ``set_source``,
both thread-safe and taken at a frame boundary) and gets frames, events and stats back through the bridge.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Callable

from PySide6.QtCore import QEvent, QObject, QRect, Qt, Signal
from PySide6.QtWidgets import QDockWidget, QMainWindow, QScrollArea, QTabWidget, QVBoxLayout, QWidget

from studio.config import Settings
from studio.core.errors import StudioError
from studio.ui.banner import BannerArea, CornerBadge
from studio.ui.bridge import PipelineBridge
from studio.ui.panels.background import BackgroundPanel
from studio.ui.panels.model import ModelPanel
from studio.ui.panels.output import OutputPanel
from studio.ui.panels.source import SourcePanel
from studio.ui.panels.stats import StatsPanel, field
from studio.ui.preview import PreviewWidget
from studio.ui.settings_controller import SettingsController
from studio.core.kinds import EventKind, SourceKind

log = logging.getLogger(__name__)

# Every EventKind -> banner level (tests/ui checks the table covers them all); a "recovered" event clears its "lost"
# banner.
_K = EventKind
EVENT_LEVELS = {_K.ERROR: "error", _K.WARNING: "warning", _K.INFO: "info", _K.SOURCE_LOST: "warning",
                _K.SOURCE_RECOVERED: "info", _K.SOURCE_CHANGED: "info", _K.SOURCE_FINISHED: "info",
                _K.SOURCE_WARNING: "warning",
                _K.BACKEND_RESTART: "warning", _K.BACKEND_FALLBACK: "warning", _K.MODEL_LOADED: "info",
                _K.FATAL: "error", _K.BACKEND_HUNG: "error", _K.MASK_REJECTED: "warning", _K.VCAM_FAILED: "error",
                _K.SINK_FAILED: "error", _K.IDLE: "info", _K.WATCHED: "info"}
# A model that loads after a permanent error (the user picked another model or backend) ends that error's banner.
CLEARS = {_K.SOURCE_RECOVERED: _K.SOURCE_LOST, _K.MODEL_LOADED: _K.FATAL, _K.WATCHED: _K.IDLE}


def event_level(kind: str) -> str:
    member = EventKind.parse(kind)
    return EVENT_LEVELS[member] if member is not None else "info"


def default_pipeline_factory(settings: Settings, source, backend_factory):
    from studio.control.pipeline import LivePipeline

    return LivePipeline(settings, source=source, backend_factory=backend_factory)


def build_source(settings: Settings):
    """The Source the settings ask for ("auto" without a camera is the demo); built here, opened by the pipeline."""
    from studio.capture.sources import make_source

    return make_source(settings.source)


def _scroll(w: QWidget) -> QScrollArea:
    area = QScrollArea()
    area.setWidget(w)
    area.setWidgetResizable(True)
    area.setFrameShape(QScrollArea.Shape.NoFrame)
    return area


class _Relay(QObject):
    """Results that finish on pipeline-side threads, carried to the GUI thread (queued)."""

    snapshot_done = Signal(object)


class MainWindow(QMainWindow):
    closed = Signal()

    def __init__(self, settings: Settings, *, settings_path: Path | None = None, persist: bool = True,
                 pipeline_factory: Callable | None = None, backend_factory: Callable | None = None) -> None:
        super().__init__()
        self.setWindowTitle("Studio — live background replacement")
        self.controller = SettingsController(settings, settings_path, persist=persist, parent=self)
        self.backend_factory = backend_factory
        self._pipeline_factory = pipeline_factory or default_pipeline_factory
        self.pipeline = None
        self.recorder = None  # the RecorderSink the Record button started (the pipeline owns it)
        self.record_dir: Path | None = None
        self.relay = _Relay(self)
        self.relay.snapshot_done.connect(self._snapshot_done)
        self._closed = False

        central = QWidget()
        lay = QVBoxLayout(central)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(0)
        self.preview = PreviewWidget()
        lay.addWidget(self.preview, 1)
        # Banners lie over the top of the picture: one coming or going never moves the layout.
        self.banners = BannerArea(central, overlay=True)
        self.demo_badge = CornerBadge("DEMO — generated scene", self.preview,
                                      tooltip="a generated scene, not a camera: pick a camera, a video file or a "
                                              "picture in Source")
        self.setCentralWidget(central)

        self.source_panel = SourcePanel(self.controller)
        self.model_panel = ModelPanel(self.controller)
        self.background_panel = BackgroundPanel(self.controller)
        self.output_panel = OutputPanel(self.controller)
        self.stats_panel = StatsPanel()
        self.tabs = QTabWidget()
        self.tabs.addTab(_scroll(self.background_panel), "Background")
        self.tabs.addTab(_scroll(self.source_panel), "Source")
        self.tabs.addTab(_scroll(self.model_panel), "Model")
        self.tabs.addTab(_scroll(self.output_panel), "Output")
        dock = QDockWidget("Settings")
        dock.setObjectName("settings_dock")
        dock.setWidget(self.tabs)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        sdock = QDockWidget("Live stats")
        sdock.setObjectName("stats_dock")
        sdock.setWidget(_scroll(self.stats_panel))
        sdock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, sdock)
        self.settings_dock, self.stats_dock = dock, sdock
        self.fit_to_screen()

        self.bridge = PipelineBridge(self)
        self.bridge.frame_ready.connect(self._show_frame)
        self.bridge.event.connect(self._show_event)
        self.bridge.stats_updated.connect(self._show_stats)
        self.controller.changed.connect(self._settings_changed)
        self.controller.error.connect(lambda exc: self.banners.show_error(exc, key="settings"))
        self.background_panel.rejected.connect(lambda m, h: self.banners.show_message(m, h, "warning"))
        self.output_panel.before_after_toggled.connect(self.preview.set_show_before)
        self.output_panel.record_toggled.connect(self._record)
        self.output_panel.snapshot_requested.connect(self.snapshot)

    def fit_to_screen(self, available: QRect | None = None) -> None:
        """Open at 1440x880, or smaller to fit the screen it opens on (1366x768 laptops included): the window, the
        side docks (a third of the width at most) and the split between settings and stats."""
        if available is None:
            screen = self.screen()
            available = screen.availableGeometry() if screen is not None else QRect(0, 0, 1440, 880)
        margin = 32 if available.height() < 880 + 32 else 0  # a title bar, where the screen is tight
        w, h = min(1440, available.width()), min(880, available.height() - margin)
        self.resize(w, h)
        side = max(340, min(470, w // 3))
        docks = [self.settings_dock, self.stats_dock]
        self.resizeDocks(docks, [side, side], Qt.Orientation.Horizontal)
        self.resizeDocks(docks, [h * 49 // 100, h * 51 // 100], Qt.Orientation.Vertical)

    # -- pipeline life ---------------------------------------------------------------------------------------
    def start(self) -> None:
        """Build the source and the pipeline and start them; a source that cannot be built falls back to the demo
        with a banner saying why, so the window always opens on a moving picture."""
        settings = self.controller.settings
        try:
            source = build_source(settings)
        except StudioError as exc:
            self.banners.show_error(exc, key="source")
            from studio.capture.sources import demo_source

            s = settings.source
            source = demo_source(s.width, s.height, s.fps)
        self.demo_badge.set_shown(getattr(source, "name", "").startswith("synthetic"))
        if getattr(source, "name", "").startswith("synthetic") and settings.source.kind == SourceKind.AUTO:
            self.banners.show_message("No camera found: showing the demo source",
                                      "plug in a camera and pick it in Source, or open a video file or an image",
                                      "info", key="demo", timeout_ms=8000)
        self.pipeline = self._pipeline_factory(settings, source, self.backend_factory)
        self.bridge.attach(self.pipeline)
        self.pipeline.start()

    def _settings_changed(self, settings: Settings, section: str) -> None:
        """Hand the new settings to the pipeline. It checks them before changing anything (a source that cannot be
        built, a background file that cannot be read, an unknown model); on refusal the banner says why and this
        window goes back to what the pipeline still runs, so the next change is not refused for the same reason."""
        if self.pipeline is None:
            return
        try:
            self.pipeline.apply_settings(settings)
        except StudioError as exc:
            self.banners.show_error(exc, key=section)
            self.controller.restore(section, getattr(self.pipeline.settings, section))
            return
        except Exception as exc:  # noqa: BLE001 - a bug must show as a banner, not kill the GUI with a traceback
            log.exception("applying settings failed")
            self.banners.show_message(f"could not apply the {section} settings: {exc}", "see the log for details",
                                      "error", key=section)
            self.controller.restore(section, getattr(self.pipeline.settings, section))
            return
        self.banners.clear(section)

    # -- bridge slots ----------------------------------------------------------------------------------------
    def _show_frame(self) -> None:
        item = self.bridge.take_frame()
        if item is None:
            return
        before = item.original_qimage() if self.preview.show_before else None
        self.preview.set_frame(item.image, before)

    def _show_event(self, event) -> None:
        kind = str(getattr(event, "kind", "info"))
        level = event_level(kind)
        message = str(getattr(event, "message", event))
        hint = str(getattr(event, "hint", "") or "")
        if kind in CLEARS:
            self.banners.clear(CLEARS[kind])
        if level == "info":
            self.statusBar().showMessage(message, 6000)
            return
        # one banner per kind of trouble that has a kind of its own; generic errors and warnings per message
        key = kind if kind not in ("error", "warning") else f"{kind}:{message[:60]}"
        self.banners.show_message(message, hint, level, key=key)

    def _show_stats(self, stats) -> None:
        self.stats_panel.show_stats(stats, self.bridge.display_fps())
        self.model_panel.show_stats(stats)
        self.output_panel.show_vcam_status(str(field(stats, "vcam", default="") or ""),
                                           idle=bool(field(stats, "idle", default=False)))
        self._show_source_trouble(str(field(stats, "source_state", default="") or ""))
        # The demo says so for as long as it runs (not only in the first banner).
        self.demo_badge.set_shown(str(field(stats, "source_name", default="") or "").startswith("synthetic"))
        self.source_panel.show_state(str(field(stats, "source_name", default="") or ""),
                                     str(field(stats, "source_state", default="") or ""))

    def _show_source_trouble(self, state: str) -> None:
        """A source that failed (a file that cannot be opened) or was lost stays a banner until it runs again."""
        if state in ("failed", "lost"):
            if any(b.key == "source-lost" for b in self.banners.banners):
                return
            exc = getattr(self.pipeline, "source_exception", None)
            if isinstance(exc, StudioError):
                self.banners.show_message(exc.message, exc.hint, "error", key="source-lost")
            else:
                reason = str(getattr(self.pipeline, "source_error", "") or "the source stopped delivering frames")
                self.banners.show_message(f"source {state}: {reason}",
                                          "check the camera or file, or pick another source in Source", "error",
                                          key="source-lost")
        elif state == "running":
            self.banners.clear("source-lost")

    # -- output actions --------------------------------------------------------------------------------------
    @staticmethod
    def _videos_dir() -> Path:
        import platformdirs

        return Path(platformdirs.user_videos_dir()) / "studio"

    def snapshot(self):
        """Save the next composited frame (RGBA PNG when transparent) through the pipeline's one snapshot door; the
        result comes back as a line under the button, or a banner. Returns the Future (None without a pipeline)."""
        if self.pipeline is None:
            return None
        fut = self.pipeline.snapshot()
        fut.add_done_callback(self.relay.snapshot_done.emit)  # runs on the writer thread: hand over to the GUI
        return fut

    def _snapshot_done(self, fut) -> None:
        exc = fut.exception()
        if exc is not None:
            self.banners.show_error(exc, key="snapshot")
        else:
            self.banners.clear("snapshot")
            self.output_panel.last_saved.setText(f"saved {fut.result()}")

    def _record(self, on: bool) -> None:
        if self.pipeline is None:
            self.output_panel.set_recording(False)
            return
        if not on:
            if self.recorder is not None:
                self.pipeline.record(None)
                self.output_panel.last_saved.setText(f"recorded {getattr(self.recorder, 'path', '')}")
                self.recorder = None
            return
        # The pipeline's one recording route (as settings.output.record), without writing that setting: the button
        # records on demand, it must not make every later headless run record.
        folder = self.record_dir or self._videos_dir()
        path = str(folder / time.strftime("studio-%Y%m%d-%H%M%S.mp4"))
        try:
            self.recorder = self.pipeline.record(path)
        except StudioError as exc:
            self.recorder = None
            self.banners.show_error(exc, key="record")
            self.output_panel.set_recording(False)

    # -- shutdown --------------------------------------------------------------------------------------------
    def shutdown(self, timeout: float = 5.0) -> bool:
        """Stop every pipeline thread; True when all ended. Safe to call twice."""
        if self._closed:
            return True
        self._closed = True
        self.controller.flush()
        self.bridge.detach()
        ok = True
        if self.pipeline is not None:
            ok = bool(self.pipeline.close(timeout))
            if not ok:
                log.warning("pipeline threads did not stop within %.1f s", timeout)
        self.closed.emit()
        return ok

    def changeEvent(self, event) -> None:  # noqa: N802
        # A minimised window's preview is nobody watching (the pipeline may idle if the camera has no reader).
        if event.type() == QEvent.Type.WindowStateChange:
            self.bridge.set_watching(not self.isMinimized())
        super().changeEvent(event)

    def closeEvent(self, event) -> None:  # noqa: N802
        self.shutdown()
        super().closeEvent(event)
