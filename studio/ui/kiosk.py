"""Kiosk mode for shop staff making product shots: live preview -> Capture (optional countdown) -> the cutout on a
checkerboard, white or a chosen colour -> Save or Retake. This module is that flow; the widgets it drives (big
touch-friendly buttons, a strip of recent shots) are laid out in studio.ui.kiosk_layout.

Saving never loses a shot: files are written atomically, and a failure shows a banner while the shot stays on screen
for another try (fix the folder, press Save again).
"""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path
from typing import Callable

import numpy as np
from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QIcon, QPixmap
from PySide6.QtWidgets import QColorDialog, QFileDialog, QListWidgetItem

from studio.config import Settings
from studio.core.errors import StudioError
from studio.core.kinds import BackgroundKind, Quality, SourceKind
from studio.ui.bridge import PipelineBridge
from studio.ui.cutout_worker import CutoutRequest, CutoutResult, CutoutWorker
from studio.ui.kiosk_layout import BIG, STYLE, KioskLayout
from studio.ui.qimage import rgb_to_qimage
from studio.ui.settings_controller import SettingsController
from studio.ui.shots import Shot, ShotSaveError, save_shot

__all__ = ["BIG", "STYLE", "KioskWindow", "kiosk_live_settings", "product_scene_for", "subject_crop"]

log = logging.getLogger(__name__)


class _Relay(QObject):
    """Carries results from the cutout thread to the GUI thread (queued)."""

    cutout_done = Signal(object)


def kiosk_live_settings(settings: Settings) -> Settings:
    """The kiosk's live pipeline only frames the shot: staff see the camera picture, and the cutout is made once, at
    full resolution, on Capture. Its live masks are not shown, so inference runs at a trickle (1-2 per second) with the
    cheapest embedded portrait model, leaving the CPU to capture and to the cutout itself."""
    return dataclasses.replace(
        settings,
        inference=dataclasses.replace(settings.inference, model="selfie-landscape"),
        gate=dataclasses.replace(settings.gate, enabled=True, static_fps=1.0, moderate_fps=2.0, fast_fps=2.0),
        background=dataclasses.replace(settings.background, kind=BackgroundKind.COLOR.value),
        output=dataclasses.replace(settings.output, vcam=False, record=""),
    )


def product_scene_for(source):
    """The kiosk makes product shots: where it would show the synthetic person (no camera, or "demo"), it shows the
    synthetic product on a tabletop instead, at the same size, rate and motion. Other sources pass through."""
    from studio.capture.synthetic import SyntheticSource

    if isinstance(source, SyntheticSource) and source.scene == "person":
        return SyntheticSource(source.width, source.height, source.fps, motion=source.motion, seed=source.seed,
                               noise=source.noise, realtime=source.realtime, scene="product")
    return source


def subject_crop(rgba: np.ndarray, aspect: float = 4 / 3, margin: float = 0.12) -> np.ndarray:
    """The cutout trimmed to its opaque part plus a margin, widened or heightened to ``aspect`` (width / height) where
    the picture allows, so a thumbnail shows the product rather than the empty frame around it (the whole picture
    when nothing is opaque)."""
    rows = np.flatnonzero(rgba[..., 3].max(axis=1) > 127)
    cols = np.flatnonzero(rgba[..., 3].max(axis=0) > 127)
    if rows.size == 0:
        return rgba
    h, w = rgba.shape[:2]
    pad = margin * max(rows[-1] - rows[0], cols[-1] - cols[0])
    bh, bw = rows[-1] - rows[0] + 2 * pad, cols[-1] - cols[0] + 2 * pad
    bh, bw = min(h, max(bh, bw / aspect)), min(w, max(bw, bh * aspect))
    cy, cx = (rows[0] + rows[-1]) / 2, (cols[0] + cols[-1]) / 2
    y0 = int(round(min(max(0.0, cy - bh / 2), h - bh)))
    x0 = int(round(min(max(0.0, cx - bw / 2), w - bw)))
    return rgba[y0:y0 + int(round(bh)), x0:x0 + int(round(bw))]


class KioskWindow(KioskLayout):
    closed = Signal()
    saved = Signal(object)  # Path

    def __init__(self, settings: Settings, *, settings_path: Path | None = None, persist: bool = True,
                 pipeline_factory: Callable | None = None, backend_factory: Callable | None = None) -> None:
        super().__init__()
        self.controller = SettingsController(settings, settings_path, persist=persist, parent=self)
        self._pipeline_factory = pipeline_factory
        self.backend_factory = backend_factory
        self.pipeline = None
        self.shot: Shot | None = None
        self.shots_saved: list[Path] = []
        self.backdrop = "checker"  # checker | white | colour
        self.backdrop_colour = QColor("#e0e0e0")
        self._countdown_left = 0
        self._shot_seq = 0
        self._closed = False

        self.relay = _Relay(self)
        self.relay.cutout_done.connect(self._cutout_done)
        self.cutter = CutoutWorker(self.relay.cutout_done.emit, backend_factory)

        self.lay_out(self.controller.settings.kiosk, self.output_folder())
        self._wire_controls()
        self._set_mode("live")

        self.bridge = PipelineBridge(self)
        self.bridge.frame_ready.connect(self._show_frame)
        self.bridge.event.connect(self._show_event)
        self.controller.error.connect(lambda exc: self.banners.show_error(exc, key="settings"))
        self._tick = QTimer(self)
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._count)

    # -- controls --------------------------------------------------------------------------------------------
    def _wire_controls(self) -> None:
        # Connected after the widgets show the saved settings, so building them writes nothing back.
        self.folder_btn.clicked.connect(self._pick_folder)
        self.format.currentIndexChanged.connect(lambda: self.controller.update("kiosk", format=self.format.currentData()))
        self.flicker.toggled.connect(lambda on: self.controller.update("kiosk", flicker=on))
        self.white_balance.toggled.connect(lambda on: self.controller.update("kiosk", white_balance=on))
        self.best_quality.toggled.connect(lambda on: self.controller.update("kiosk", best_quality=on))
        self.countdown_s.currentIndexChanged.connect(
            lambda: self.controller.update("kiosk", countdown_s=int(self.countdown_s.currentData())))
        self.capture_btn.clicked.connect(self.capture)
        for key, b in self.bg_buttons.items():
            b.clicked.connect(lambda _=False, k=key: self.set_backdrop(k))
        self.save_btn.clicked.connect(self.save)
        self.retake_btn.clicked.connect(self.retake)

    def _set_mode(self, mode: str) -> None:
        self.show_mode(mode, self.backdrop)

    def output_folder(self) -> Path:
        folder = self.controller.settings.kiosk.output_dir
        if folder:
            return Path(folder)
        import platformdirs

        return Path(platformdirs.user_pictures_dir()) / "studio-shots"

    def set_output_folder(self, folder: str | Path) -> None:
        self.controller.update("kiosk", output_dir=str(folder))
        self.folder_label.setText(str(folder))

    def _pick_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, "Folder for the shots", str(self.output_folder()))
        if folder:
            self.set_output_folder(folder)

    # -- life ------------------------------------------------------------------------------------------------
    def start(self) -> None:
        from studio.ui.main_window import build_source, default_pipeline_factory

        settings = kiosk_live_settings(self.controller.settings)
        try:
            source = build_source(settings)
        except StudioError as exc:
            self.banners.show_error(exc, key="source")
            from studio.capture.sources import demo_source

            source = demo_source(settings.source.width, settings.source.height, settings.source.fps)
        source = product_scene_for(source)
        self.demo_badge.set_shown(getattr(source, "name", "").startswith("synthetic"))  # while it runs
        if getattr(source, "scene", "") == "product" and settings.source.kind == SourceKind.AUTO:
            self.banners.show_message("No camera found: showing a demo product",
                                      "plug in a camera, or set the source in the main window's settings",
                                      "info", key="demo", timeout_ms=8000)
        factory = self._pipeline_factory or default_pipeline_factory
        self.pipeline = factory(settings, source, self.backend_factory)
        self.bridge.attach(self.pipeline)
        self.pipeline.start()
        self.cutter.start()

    def _show_frame(self) -> None:
        item = self.bridge.take_frame()
        if item is not None:
            self.live.set_frame(item.original_qimage())

    def _show_event(self, event) -> None:
        from studio.ui.main_window import event_level

        level = event_level(str(getattr(event, "kind", "info")))
        if level != "info":
            self.banners.show_message(str(getattr(event, "message", event)), str(getattr(event, "hint", "") or ""),
                                      level, key=str(getattr(event, "kind", "")))

    def resizeEvent(self, event) -> None:  # noqa: N802
        super().resizeEvent(event)
        self.countdown.setGeometry(self.live.rect())

    # -- capture ---------------------------------------------------------------------------------------------
    def capture(self) -> None:
        """Start the countdown, or capture at once when it is off."""
        if self._countdown_left:
            return
        seconds = self.controller.settings.kiosk.countdown_s
        if seconds <= 0:
            self._take()
            return
        self._countdown_left = seconds
        self.countdown.setGeometry(self.live.rect())
        self.countdown.setText(str(seconds))
        self.countdown.show()
        self.capture_btn.setEnabled(False)
        self._tick.start()

    def _count(self) -> None:
        self._countdown_left -= 1
        if self._countdown_left > 0:
            self.countdown.setText(str(self._countdown_left))
            return
        self._tick.stop()
        self.countdown.hide()
        self.capture_btn.setEnabled(True)
        self._take()

    def _take(self) -> bool:
        item = self.bridge.latest
        if item is None:
            self.banners.show_message("no picture from the camera yet", "wait for the preview, then press Capture",
                                      "warning", key="capture")
            return False
        k = self.controller.settings.kiosk
        inf = self.controller.settings.inference
        self._shot_seq += 1
        # The capture buffer is never written after capture, so it can be handed to the cutout thread as it is.
        from studio.models.registry import stills_model

        model = stills_model(k.model)  # "auto": u2net once fetched, else u2netp
        self.cutter.request(CutoutRequest(item.original, model, inf.backend, inf.device, k.flicker,
                                          k.white_balance, self._shot_seq,
                                          quality=Quality.BEST if k.best_quality else Quality.FAST))
        self.shot = None
        self.review.set_frame(None)
        self.status.setText("cutting out…")
        self._set_mode("review")
        self.save_btn.setEnabled(False)
        return True

    def _cutout_done(self, result: CutoutResult) -> None:
        if result.request.shot_id != self._shot_seq:
            return  # a retake came before this finished
        if result.error is not None or result.rgba is None:
            self.banners.show_error(result.error or StudioError("the cutout failed"), key="cutout")
            self.status.setText("cutout failed")
            self._set_mode("live")
            return
        self.shot = Shot(result.image_bgr, result.alpha, result.rgba, self.sku.text())
        best = " in best quality" if result.request.quality == Quality.BEST else ""
        self.status.setText(f"cut out{best} in {result.seconds:.2f} s")
        self.save_btn.setEnabled(True)
        self._paint_review()

    def set_backdrop(self, kind: str) -> None:
        if kind == "colour":
            dlg = QColorDialog(self.backdrop_colour, self)
            dlg.setOption(QColorDialog.ColorDialogOption.DontUseNativeDialog, True)
            dlg.colorSelected.connect(self.set_backdrop_colour)
            dlg.open()
            return
        self.backdrop = kind
        self._set_mode("review")
        self._paint_review()

    def set_backdrop_colour(self, colour: QColor) -> None:
        self.backdrop_colour = QColor(colour)
        self.backdrop = "colour"
        self._set_mode("review")
        self._paint_review()

    def _paint_review(self) -> None:
        if self.shot is None:
            return
        rgba = self.shot.rgba
        if self.backdrop == "checker":
            img = rgb_to_qimage(np.ascontiguousarray(rgba))
        else:
            from studio.ui.shots import over_colour

            c = QColor(255, 255, 255) if self.backdrop == "white" else self.backdrop_colour
            img = rgb_to_qimage(over_colour(rgba, (c.red(), c.green(), c.blue())))
        self.review.set_frame(img)

    def retake(self) -> None:
        self.shot = None
        self._shot_seq += 1
        self.status.setText("")
        self._set_mode("live")

    def save(self) -> Path | None:
        """Save the shot; on failure a banner says why and the shot stays for another try."""
        if self.shot is None:
            return None
        self.shot.sku = self.sku.text()
        try:
            path = save_shot(self.shot, self.output_folder(), self.controller.settings.kiosk.format)
        except ShotSaveError as exc:
            self.banners.show_error(exc, key="save")
            self.status.setText("not saved — the shot is kept; fix the folder and press Save again")
            return None
        self.banners.clear("save")
        self.shots_saved.append(path)
        self._add_recent(path)
        self.status.setText(f"saved {path.name}")
        self.saved.emit(path)
        self.shot = None
        self._set_mode("live")
        return path

    def _add_recent(self, path: Path) -> None:
        from studio.ui.preview import checker_brush_pixmap

        rgba = subject_crop(self.shot.rgba)
        thumb = rgb_to_qimage(np.ascontiguousarray(rgba)).scaled(
            120, 90, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation)
        pm = QPixmap(thumb.size())
        from PySide6.QtGui import QPainter

        p = QPainter(pm)
        p.drawTiledPixmap(pm.rect(), checker_brush_pixmap(6))
        p.drawImage(0, 0, thumb)
        p.end()
        item = QListWidgetItem(QIcon(pm), path.name)
        item.setToolTip(str(path))
        self.recent.insertItem(0, item)
        while self.recent.count() > 20:
            self.recent.takeItem(self.recent.count() - 1)

    # -- shutdown --------------------------------------------------------------------------------------------
    def shutdown(self, timeout: float = 5.0) -> bool:
        if self._closed:
            return True
        self._closed = True
        self._tick.stop()
        self.controller.flush()
        self.bridge.detach()
        ok = self.cutter.close(timeout)
        if self.pipeline is not None:
            ok = bool(self.pipeline.close(timeout)) and ok
        self.closed.emit()
        return ok

    def closeEvent(self, event) -> None:  # noqa: N802
        self.shutdown()
        super().closeEvent(event)
