"""Kiosk flow on the real pipeline and the real u2netp model: capture a shot from the synthetic source, save it as a
transparent PNG; a save that fails shows a banner and keeps the shot for another try; closing stops every thread."""

from __future__ import annotations

import cv2
import pytest
from PySide6.QtCore import Qt

from studio.core.worker import live_studio_threads
from studio.ui.kiosk import KioskWindow

WAIT = 30000


@pytest.fixture
def kiosk(qtbot, ui_settings, settings_path, backend_factory):
    k = KioskWindow(ui_settings, settings_path=settings_path, backend_factory=backend_factory)
    qtbot.addWidget(k)
    k.show()
    k.start()
    yield k
    k.close()


def capture_and_wait(qtbot, k):
    qtbot.waitUntil(lambda: k.bridge.latest is not None, timeout=WAIT)
    qtbot.mouseClick(k.capture_btn, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: k.shot is not None or bool(k.banners.banners), timeout=WAIT)
    assert k.shot is not None, k.banners.messages()


def test_capture_and_save_a_transparent_png(qtbot, kiosk, tmp_path):
    k = kiosk
    assert k.controller.settings.kiosk.model == "u2netp"
    k.sku.setText("MUG 0042")
    capture_and_wait(qtbot, k)
    assert k.stack.currentWidget() is k.review and k.save_btn.isVisible() and k.retake_btn.isVisible()
    k.set_backdrop("white")
    k.set_backdrop("checker")
    path = k.save()
    assert path == tmp_path / "shots" / "MUG-0042.png" and path.is_file()
    img = cv2.imread(str(path), cv2.IMREAD_UNCHANGED)
    assert img.ndim == 3 and img.shape[2] == 4
    assert img.shape[:2] == k.bridge.latest.original.shape[:2]  # full capture resolution, not the model's
    a = img[..., 3]
    assert a.min() < 20 and a.max() > 235, "a real cutout: some background removed, some subject kept"
    assert k.recent.count() == 1 and k.stack.currentWidget() is k.live
    # a second shot of the same SKU does not overwrite the first
    capture_and_wait(qtbot, k)
    assert k.save().name == "MUG-0042-2.png"


def test_retake_discards_and_returns_to_live(qtbot, kiosk):
    k = kiosk
    capture_and_wait(qtbot, k)
    k.retake()
    assert k.shot is None and k.stack.currentWidget() is k.live and k.capture_btn.isVisible()


def test_save_failure_keeps_the_shot_for_retry(qtbot, kiosk, tmp_path):
    k = kiosk
    # an unwritable folder: its parent is a file (works as root too, where chmod 0o500 would not stop a write)
    blocker = tmp_path / "blocked"
    blocker.write_text("a file where a folder should be")
    k.set_output_folder(blocker / "shots")
    k.sku.setText("A-1")
    capture_and_wait(qtbot, k)
    shot = k.shot
    assert k.save() is None
    assert k.shot is shot and k.stack.currentWidget() is k.review  # kept on screen
    assert any("could not save" in m for m in k.banners.messages())
    assert not list(tmp_path.rglob("A-1*"))  # nothing half-written
    k.set_output_folder(tmp_path / "good")
    path = k.save()
    assert path is not None and path.is_file() and not k.banners.messages()


def test_best_quality_button_cuts_out_in_quality_mode_and_is_remembered(qtbot, kiosk, tmp_path):
    from studio.config import load_settings

    k = kiosk
    assert not k.best_quality.isChecked()
    qtbot.mouseClick(k.best_quality, Qt.MouseButton.LeftButton)
    assert k.best_quality.isChecked() and k.controller.settings.kiosk.best_quality
    capture_and_wait(qtbot, k)
    assert "best quality" in k.status.text()
    assert type(k.cutter._segmenter).__name__ == "FusedSegmenter"  # noqa: SLF001 - what the worker opened
    a = k.shot.alpha
    assert a.shape == k.bridge.latest.original.shape[:2] and a.min() < 0.1 and a.max() > 0.9
    k.controller.flush()
    assert load_settings(k.controller.path).kiosk.best_quality


def test_countdown_then_capture(qtbot, kiosk):
    k = kiosk
    k.countdown_s.setCurrentIndex(k.countdown_s.findData(3))
    k._tick.setInterval(50)  # noqa: SLF001 - the countdown logic, not the wall clock, is under test
    qtbot.waitUntil(lambda: k.bridge.latest is not None, timeout=WAIT)
    k.capture()
    assert k.countdown.isVisible() and k.countdown.text() == "3" and not k.capture_btn.isEnabled()
    qtbot.waitUntil(lambda: k.shot is not None, timeout=WAIT)
    assert not k.countdown.isVisible() and k.capture_btn.isEnabled()


def test_closing_the_kiosk_stops_every_thread(qtbot, ui_settings, settings_path, backend_factory):
    k = KioskWindow(ui_settings, settings_path=settings_path, backend_factory=backend_factory)
    qtbot.addWidget(k)
    k.show()
    k.start()
    qtbot.waitUntil(lambda: k.bridge.latest is not None, timeout=WAIT)
    k.close()
    assert not live_studio_threads()
