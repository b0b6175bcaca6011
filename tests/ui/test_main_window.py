"""The main window on the real LivePipeline (synthetic source, the embedded selfie model on ONNX Runtime): switching
source, model, background and output through the widgets, and watching the pipeline's frames and stats follow."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import cv2
import numpy as np
import pytest
from PySide6.QtCore import QPoint, Qt

from studio.config import load_settings
from studio.core.worker import live_studio_threads
from studio.ui.main_window import MainWindow

WAIT = 20000  # ms: generous, the box is shared; nothing here asserts speed


@pytest.fixture
def window(qtbot, ui_settings, settings_path, backend_factory):
    w = MainWindow(ui_settings, settings_path=settings_path, backend_factory=backend_factory)
    qtbot.addWidget(w)
    w.show()
    w.start()
    yield w
    w.close()


def wait_frames(qtbot, w, n: int = 3) -> None:
    start = w.bridge.frames_taken
    qtbot.waitUntil(lambda: w.bridge.frames_taken >= start + n, timeout=WAIT)


def latest_rgb(w) -> np.ndarray:
    from studio.ui.qimage import qimage_to_rgba

    return qimage_to_rgba(w.bridge.latest.image)


def test_window_runs_and_follows_background_choices(qtbot, window):
    w = window
    wait_frames(qtbot, w)
    qtbot.waitUntil(lambda: w.stats_panel.updates >= 2, timeout=WAIT)
    assert w.stats_panel.labels["output_fps"].text().endswith("fps")

    panel = w.background_panel
    # transparent: the composite gains an alpha channel and the preview paints it on a checkerboard
    panel.gallery.setCurrentRow(panel.find(kind="none"))
    qtbot.waitUntil(lambda: w.bridge.latest is not None and w.bridge.latest.has_alpha, timeout=WAIT)
    # white: the corners (background in the synthetic scene) turn white
    panel.gallery.setCurrentRow(panel.find(kind="color", color="#ffffff"))

    def corner_white():
        item = w.bridge.latest
        return item is not None and not item.has_alpha and latest_rgb(w)[:8, :8, :3].min() > 230

    qtbot.waitUntil(corner_white, timeout=WAIT)
    # a bundled picture
    bundled = [d for d in panel.items() if d["kind"] == "image"]
    assert len(bundled) >= 3, "the generated backgrounds in resources/backgrounds are listed"
    panel.gallery.setCurrentRow(panel.find(path=bundled[0]["path"]))
    qtbot.waitUntil(lambda: not corner_white(), timeout=WAIT)
    assert w.controller.settings.background.kind == "image"
    wait_frames(qtbot, w)


def test_user_background_by_drop_is_remembered(qtbot, window, tmp_path, settings_path):
    w = window
    pic = tmp_path / "mine.png"
    img = np.zeros((90, 160, 3), np.uint8)
    img[:] = (0, 0, 255)  # BGR red
    cv2.imwrite(str(pic), img)
    bad = tmp_path / "notes.txt"
    bad.write_text("not a picture")
    assert w.background_panel.add_files([str(bad), str(pic)]) == 1
    assert any("notes.txt" in m for m in w.banners.messages())  # the rejected file is a banner, not a crash

    def corner_red():
        item = w.bridge.latest
        if item is None or item.has_alpha:
            return False
        c = latest_rgb(w)[:8, :8, :3].reshape(-1, 3).mean(0)
        return c[0] > 200 and c[1] < 40 and c[2] < 40

    qtbot.waitUntil(corner_red, timeout=WAIT)
    w.controller.flush()
    saved = load_settings(settings_path)
    assert saved.background.kind == "image" and Path(saved.background.path) == pic.resolve()
    assert saved.recent_backgrounds[0] == str(pic.resolve())


def test_source_model_and_mirror_follow_the_widgets(qtbot, window, tmp_path):
    w = window
    wait_frames(qtbot, w)
    # an image source: left half red, right half blue (BGR on disk)
    pic = tmp_path / "scene.png"
    img = np.zeros((240, 320, 3), np.uint8)
    img[:, :160] = (0, 0, 255)
    img[:, 160:] = (255, 0, 0)
    cv2.imwrite(str(pic), img)
    assert w.source_panel.choose("image", str(pic))
    qtbot.waitUntil(lambda: w.bridge.latest is not None and w.bridge.latest.original.shape[:2] == (240, 320)
                    and w.bridge.latest.original[5, 5].tolist() == [0, 0, 255], timeout=WAIT)
    assert w.source_panel.combo.currentText().startswith("image: scene.png")

    # model: pick the landscape selfie model in the combo; the stats report it
    combo = w.model_panel.model
    combo.setCurrentIndex(combo.findData("selfie-landscape"))
    qtbot.waitUntil(lambda: "selfie-landscape" in str(getattr(w.bridge.last_stats, "model", "")), timeout=WAIT)

    # mirror: with a transparent background the composite's colours are the frame's, so the left edge turns blue
    w.background_panel.gallery.setCurrentRow(w.background_panel.find(kind="none"))
    w.tabs.setCurrentIndex(w.tabs.indexOf(w.tabs.widget(3)))
    qtbot.waitUntil(w.output_panel.mirror.isVisible, timeout=WAIT)
    box = w.output_panel.mirror
    qtbot.mouseClick(box, Qt.MouseButton.LeftButton, pos=QPoint(8, box.height() // 2))  # on the indicator
    assert w.output_panel.mirror.isChecked() and w.controller.settings.output.mirror

    def left_is_blue():
        item = w.bridge.latest
        if item is None or not item.has_alpha:
            return False
        px = latest_rgb(w)[120, 4]
        return px[2] > 200 and px[0] < 40

    qtbot.waitUntil(left_is_blue, timeout=WAIT)

    # back to the demo through the list
    w.source_panel.combo.setCurrentIndex(0)
    qtbot.waitUntil(lambda: w.bridge.latest.original[5, 5].tolist() != [0, 0, 255], timeout=WAIT)


def test_output_vcam_snapshot_and_record(qtbot, window, tmp_path):
    w = window
    wait_frames(qtbot, w)
    # no loopback device on this box: switching the virtual camera on shows why, as a banner or the status line
    w.output_panel.vcam.setChecked(True)

    def vcam_explained():
        text = " ".join(w.banners.messages()) + " " + w.output_panel.vcam_status.text()
        hints = " ".join(b.hint for b in w.banners.banners)
        return "loopback" in (text + hints).lower() or "virtual camera" in text.lower() and "error" in text.lower()

    qtbot.waitUntil(vcam_explained, timeout=WAIT)
    wait_frames(qtbot, w)  # the preview keeps running after the virtual camera failed

    fut = w.snapshot()
    qtbot.waitUntil(fut.done, timeout=WAIT)
    path = fut.result()
    assert path.is_file() and path.parent == tmp_path / "snapshots"
    qtbot.waitUntil(lambda: str(path) in w.output_panel.last_saved.text(), timeout=WAIT)

    w.record_dir = tmp_path / "videos"
    w.output_panel.record.setChecked(True)
    assert w.recorder is not None
    wait_frames(qtbot, w, 10)
    w.output_panel.record.setChecked(False)
    qtbot.waitUntil(lambda: len(list(w.record_dir.glob("studio-*.mp4"))) == 1, timeout=WAIT)
    rec = next(w.record_dir.glob("studio-*.mp4"))
    assert w.controller.settings.output.record == ""  # the button does not turn every later run into a recording
    cap = cv2.VideoCapture(str(rec))
    ok, frame = cap.read()
    cap.release()
    assert ok and frame.shape[:2] == (240, 320)


def test_closing_the_window_stops_every_thread(qtbot, ui_settings, settings_path, backend_factory):
    w = MainWindow(ui_settings, settings_path=settings_path, backend_factory=backend_factory)
    qtbot.addWidget(w)
    w.show()
    w.start()
    wait_frames(qtbot, w)
    assert live_studio_threads(), "the pipeline runs on studio- threads"
    w.close()
    assert w.pipeline.state.value in ("stopped", "failed")
    assert not live_studio_threads()


def test_bad_source_is_a_banner_and_the_picture_goes_on(qtbot, window, tmp_path):
    w = window
    wait_frames(qtbot, w)
    w.source_panel.choose("file", "")  # a file source without a path
    qtbot.waitUntil(lambda: any("needs a path" in m for m in w.banners.messages()), timeout=WAIT)
    wait_frames(qtbot, w)
    missing = tmp_path / "missing.mp4"
    w.source_panel.choose("file", str(missing))
    qtbot.waitUntil(lambda: any("missing.mp4" in m or "missing" in m.lower() for m in w.banners.messages()),
                    timeout=WAIT)
    wait_frames(qtbot, w)


def test_settings_file_is_the_headless_one(qtbot, ui_settings, settings_path, backend_factory):
    w = MainWindow(dataclasses.replace(ui_settings), settings_path=settings_path, backend_factory=backend_factory)
    qtbot.addWidget(w)
    w.model_panel.feather.setValue(5)
    w.model_panel.edge.setValue(-2)
    w.model_panel.gate_on.setChecked(False)
    w.controller.flush()
    saved = load_settings(settings_path)
    assert saved.refine.feather == 5 and saved.refine.edge_px == -2 and saved.gate.enabled is False
    w.close()


def test_dropping_files_on_the_gallery(qtbot, ui_settings, settings_path, backend_factory, tmp_path):
    from PySide6.QtCore import QMimeData, QPointF, QUrl
    from PySide6.QtGui import QDropEvent

    w = MainWindow(ui_settings, settings_path=settings_path, backend_factory=backend_factory)
    qtbot.addWidget(w)
    pic = tmp_path / "dropped.jpg"
    cv2.imwrite(str(pic), np.full((60, 80, 3), 200, np.uint8))
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(pic))])
    event = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    gallery = w.background_panel.gallery
    gallery.dropEvent(event)
    assert event.isAccepted()
    assert gallery.currentItem().text() == "dropped.jpg"
    assert w.controller.settings.background.path == str(pic.resolve())
    w.close()


def test_no_camera_opens_on_the_demo_with_a_note(qtbot, ui_settings, settings_path, backend_factory):
    s = dataclasses.replace(ui_settings, source=dataclasses.replace(ui_settings.source, kind="auto", uri=""))
    w = MainWindow(s, settings_path=settings_path, backend_factory=backend_factory)
    qtbot.addWidget(w)
    w.show()
    w.start()
    assert any("demo" in m for m in w.banners.messages())
    wait_frames(qtbot, w)
    qtbot.waitUntil(lambda: (w.bridge.last_stats is not None
                             and w.bridge.last_stats.source_name.startswith("synthetic")), timeout=WAIT)
    w.close()


def test_mask_alignment_controls_reach_the_pipeline_and_show_its_state(qtbot, window):
    w = window
    box = w.model_panel.align
    qtbot.waitUntil(lambda: box.state.text() != "—", timeout=WAIT)
    box.budget.setValue(25)
    qtbot.waitUntil(lambda: w.pipeline.settings.live.latency_budget_ms == 25.0, timeout=WAIT)
    qtbot.waitUntil(lambda: "budget 25 ms" in box.state.text(), timeout=WAIT)
    box.mode.setCurrentIndex(box.mode.findData("off"))
    qtbot.waitUntil(lambda: box.state.text().startswith("off: live.align_mask is off"), timeout=WAIT)
    assert w.pipeline.settings.live.align_mask == "off"
    qtbot.waitUntil(lambda: "mask alignment: off" in w.stats_panel.extra.text(), timeout=WAIT)
    qtbot.waitUntil(lambda: w.stats_panel.labels["aligned"].text().endswith(" ms"), timeout=WAIT)


def test_idle_checkbox_state_and_a_minimised_preview(qtbot, window):
    w = window
    wait_frames(qtbot, w)
    box = w.output_panel.idle
    assert box.isChecked() == w.controller.settings.live.idle_when_unwatched
    box.setChecked(False)
    assert w.controller.settings.live.idle_when_unwatched is False
    qtbot.waitUntil(lambda: w.pipeline.settings.live.idle_when_unwatched is False, timeout=WAIT)
    box.setChecked(True)
    assert w.controller.settings.live.idle_when_unwatched is True
    w.output_panel.show_vcam_status("on /dev/video9", idle=True)
    assert w.output_panel.vcam_status.text() == "idle — nobody is watching (on /dev/video9)"
    # A minimised window's preview is nobody watching; shown again, it is.
    w.setWindowState(Qt.WindowState.WindowMinimized)
    qtbot.waitUntil(lambda: w.bridge._sink.watching is False, timeout=WAIT)
    w.setWindowState(Qt.WindowState.WindowNoState)
    qtbot.waitUntil(lambda: w.bridge._sink.watching is True, timeout=WAIT)
