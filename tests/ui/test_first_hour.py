"""The window a newcomer meets, offscreen: it fits a 1366x768 laptop (the Model tab without a horizontal scroll bar),
banners lie over the picture instead of pushing it, swatches and stats say what they are, fps lines keep a fixed
range, the demo says it is one, a failed virtual camera unticks its box, and settings the app cannot honour open on
defaults with a banner while the file stays as it was."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from PySide6.QtCore import QRect

from studio.ui.main_window import MainWindow
from studio.ui.settings_load import load_for_gui

LAPTOP = QRect(0, 0, 1366, 768)


@pytest.fixture
def idle_window(qtbot, ui_settings, settings_path):
    """A real main window without a pipeline (layout checks need no frames)."""
    w = MainWindow(ui_settings, settings_path=settings_path, persist=False)
    qtbot.addWidget(w)
    w.fit_to_screen(LAPTOP)
    w.show()
    qtbot.waitExposed(w)
    return w


def test_the_window_fits_a_1366x768_screen_without_horizontal_scrolling(qtbot, idle_window):
    w = idle_window
    assert w.width() <= 1366 and w.height() <= 768
    assert w.minimumSizeHint().width() <= 1366 and w.minimumSizeHint().height() <= 768
    for i in range(w.tabs.count()):
        w.tabs.setCurrentIndex(i)
        qtbot.wait(50)
        area = w.tabs.widget(i)
        assert area.horizontalScrollBar().maximum() == 0, f"{w.tabs.tabText(i)} tab scrolls sideways"
    assert w.preview.width() >= 640  # the picture keeps most of the room


def test_banners_overlay_the_picture_instead_of_moving_it(qtbot, idle_window):
    w = idle_window
    before = w.preview.geometry()
    w.banners.show_message("something to say", "and what to do", "warning", key="t")
    qtbot.wait(50)
    assert w.banners.isVisible() and w.banners.geometry().intersects(w.preview.geometry())
    assert w.preview.geometry() == before
    w.banners.clear("t")
    assert not w.banners.isVisible() and w.preview.geometry() == before


def test_swatches_and_stats_say_what_they_are(idle_window):
    from PySide6.QtCore import Qt

    from studio.ui.panels.stats import ROWS

    gallery = idle_window.background_panel.gallery
    colours = [gallery.item(i) for i in range(gallery.count())
               if gallery.item(i).data(Qt.ItemDataRole.UserRole).get("kind") == "color"]
    assert colours and all(not it.text().startswith("#") for it in colours)
    assert "chroma green" in [it.text() for it in colours]
    assert all(it.toolTip() and it.data(Qt.ItemDataRole.AccessibleTextRole) for it in colours)
    panel = idle_window.stats_panel
    for key, _label, _colour in ROWS:
        assert panel.labels[key].toolTip() and panel.sparks[key].toolTip(), key


def test_fps_sparklines_keep_a_fixed_range():
    from studio.ui.sparkline import Sparkline

    fps = Sparkline(floor=0.0, ceiling=30.0)
    for v in (29.8, 30.1, 29.9):
        fps.add(v)
    assert fps.value_range() == (0.0, 30.1)  # a steady 30 fps is a flat line near the top, not zoomed-in noise
    fast = Sparkline(floor=0.0, ceiling=30.0)
    for v in (59.0, 60.0):
        fast.add(v)
    assert fast.value_range() == (0.0, 60.0)
    free = Sparkline()
    for v in (10.0, 12.0):
        free.add(v)
    assert free.value_range() == (10.0, 12.0)


def test_a_failed_virtual_camera_unticks_its_box(idle_window):
    panel = idle_window.output_panel
    panel.vcam.setChecked(True)
    assert idle_window.controller.settings.output.vcam
    panel.show_vcam_status("error: no virtual camera device found")
    assert not panel.vcam.isChecked() and not idle_window.controller.settings.output.vcam
    panel.show_vcam_status("off")
    assert "no virtual camera device" in panel.vcam_status.text()  # the reason stays until ticked again


def test_the_demo_says_so_for_as_long_as_it_runs(qtbot, ui_settings, settings_path, backend_factory):
    w = MainWindow(ui_settings, settings_path=settings_path, backend_factory=backend_factory, persist=False)
    qtbot.addWidget(w)
    w.show()
    w.start()
    try:
        qtbot.waitUntil(lambda: w.stats_panel.updates >= 3, timeout=20000)
        assert w.demo_badge.isVisible() and "DEMO" in w.demo_badge.text()
    finally:
        w.close()


def test_settings_the_app_cannot_honour_open_on_defaults_and_stay_untouched(tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text("this is [not toml\n")
    got = load_for_gui(broken)
    assert not got.file_ok and "default settings" in got.problems[0].message
    gone = tmp_path / "gone.toml"
    gone.write_text('[background]\nkind = "image"\npath = "/nonexistent/holiday.jpg"\n\n[gate]\nstatic_fps = -3.0\n'
                    '\n[output]\nmirror = true\n')
    before = gone.read_bytes()
    got = load_for_gui(gone)
    texts = " ".join(p.message for p in got.problems)
    assert "holiday.jpg is gone" in texts and "[gate]" in texts
    assert got.settings.background.kind != "image" and got.settings.output.mirror  # the good part is kept
    assert gone.read_bytes() == before


def test_the_real_app_at_1366x768_with_a_deleted_background(tmp_path):
    """`studio gui` in its own process on an offscreen 1366x768 screen: the window it opens fits, and a settings
    file naming a deleted picture is left as it was."""
    cfg = tmp_path / "screen.json"
    cfg.write_text('{"screens": [{"name": "laptop", "x": 0, "y": 0, "width": 1366, "height": 768, '
                   '"logicalDpi": 96, "logicalBaseDpi": 96, "dpr": 1}]}')
    settings = tmp_path / "settings.toml"
    settings.write_text('[background]\nkind = "image"\npath = "/nonexistent/holiday.jpg"\n')
    before = settings.read_bytes()
    shot = tmp_path / "shot.png"
    env = {**os.environ, "QT_QPA_PLATFORM": f"offscreen:configfile={cfg}"}
    run = subprocess.run([sys.executable, "-m", "studio.cli.main", "gui", "--settings", str(settings),
                          "--screenshot", str(shot), "--quit-after", "3"], env=env, capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0 and "Traceback" not in run.stderr, run.stderr
    import cv2

    h, w = cv2.imread(str(shot)).shape[:2]
    assert w <= 1366 and h <= 768
    assert settings.read_bytes() == before
