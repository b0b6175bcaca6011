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
