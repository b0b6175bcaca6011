"""`studio gui --screenshot FILE --quit-after S` renders the real window, writes a PNG and exits cleanly."""

from __future__ import annotations

import os
import subprocess
import sys

import cv2
import pytest

from studio.cli.main import build_parser


def test_gui_command_is_registered():
    args = build_parser().parse_args(["gui", "--kiosk", "--source", "demo", "--screenshot", "x.png",
                                      "--quit-after", "2"])
    assert args.kiosk and args.source == "demo" and args.quit_after == 2.0


@pytest.mark.parametrize("extra", [[], ["--kiosk"]])
def test_screenshot_and_quit(tmp_path, extra):
    shot = tmp_path / "shot.png"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", STUDIO_CONFIG_DIR=str(tmp_path / "cfg"))
    proc = subprocess.run([sys.executable, "-m", "studio", "gui", "--source", "demo", *extra,
                           "--screenshot", str(shot), "--quit-after", "2"],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    img = cv2.imread(str(shot))
    assert img is not None and img.shape[0] >= 600 and img.shape[1] >= 1000
    assert img.std() > 10, "a real picture, not a blank window"
    assert "did not stop" not in proc.stderr


def test_capture_after_is_only_for_kiosk_screenshots():
    from studio.core.errors import StudioError

    for argv in (["gui", "--capture-after", "2"], ["gui", "--kiosk", "--capture-after", "2"],
                 ["gui", "--kiosk", "--screenshot", "x.png", "--capture-after", "3", "--quit-after", "2"]):
        args = build_parser().parse_args(argv)
        with pytest.raises(StudioError):
            args.func(args)


def test_kiosk_screenshot_after_scripted_captures(tmp_path):
    """Two Captures: the first shot is saved (to a scratch folder that is gone afterwards) and the second stays on
    review, so the picture shows a cutout on the checkerboard; the window keeps its 1280 px width after a Save."""
    shot = tmp_path / "kiosk.png"
    scratch_parent = tmp_path / "tmp"
    scratch_parent.mkdir()
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", STUDIO_CONFIG_DIR=str(tmp_path / "cfg"),
               TMPDIR=str(scratch_parent))
    proc = subprocess.run([sys.executable, "-m", "studio", "gui", "--kiosk", "--source", "demo", "--capture-after",
                           "1.5", "--capture-after", "3", "--quit-after", "4", "--screenshot", str(shot)],
                          env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    img = cv2.imread(str(shot))
    assert img.shape[:2] == (800, 1280)
    # The top-left of the picture area: the checkerboard behind the cutout (two flat greys), not the live backdrop.
    patch = img[150:190, 300:340].reshape(-1, 3)
    greys = {tuple(p) for p in patch}
    assert 2 <= len(greys) <= 4 and int(patch.max()) - int(patch.min()) > 20, greys
    assert not list(scratch_parent.glob("studio-shots-*")), "the scratch shot folder is removed on exit"
    assert "did not stop" not in proc.stderr
