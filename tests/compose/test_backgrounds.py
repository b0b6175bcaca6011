"""Backgrounds: blur, colour, picture (cover-fit, cached), looping video by wall clock, transparent, errors."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from studio.compose.backgrounds import (BlurBackground, ColorBackground, ImageBackground, TransparentBackground,
                                        VideoBackground, make_background, parse_color)
from studio.compose.base import Background, BackgroundError
from studio.compose.fit import cover_fit, cover_rect
from studio.config.settings import BackgroundSettings
from studio.core.errors import StudioError

REPO = Path(__file__).resolve().parents[2]


def test_parse_color():
    assert parse_color("#00b140") == (0, 177, 64)
    assert parse_color("fff") == (255, 255, 255)
    assert parse_color("White") == (255, 255, 255)
    with pytest.raises(BackgroundError) as e:
        parse_color("#12345")
    assert e.value.hint


@pytest.mark.parametrize("strength", [1, 9, 21, 51, 151])
def test_blur_is_close_to_a_full_size_gaussian(strength):
    # A smooth-ish real picture: the bundled room background.
    img = cv2.imread(str(REPO / "resources" / "backgrounds" / "room.jpg"))
    bg = BlurBackground(strength)
    out = bg.render(img)
    assert out.shape == img.shape and out.dtype == np.uint8
    ref = cv2.GaussianBlur(img, (strength, strength), 0)
    assert np.abs(out.astype(np.int16) - ref).mean() < 2.0
    if strength >= 21:
        assert np.abs(out.astype(np.int16) - img).mean() > 1.0  # it did blur
    assert bg.render(img) is out  # buffer reused


def test_color_background():
    bg = ColorBackground("#102030")
    out = bg.render(np.zeros((10, 20, 3), np.uint8))
    assert out.shape == (10, 20, 3) and tuple(out[5, 5]) == (0x30, 0x20, 0x10)


def test_image_background_cover_fit_and_cache(tmp_path):
    img = np.zeros((100, 400, 3), np.uint8)
    img[:, 175:225] = 255  # a white band in the middle
    p = tmp_path / "wide.png"
    cv2.imwrite(str(p), img)
    bg = ImageBackground(p)
    out = bg.render(np.zeros((200, 200, 3), np.uint8))
    assert out.shape == (200, 200, 3)
    # cover-fit of a 4:1 picture into a square keeps the middle 100x100: the band fills the centre half
    assert out[100, 100].min() == 255 and out[100, 5].max() == 0
    assert bg.render(np.zeros((200, 200, 3), np.uint8)) is out
    assert bg.render(np.zeros((50, 80, 3), np.uint8)).shape == (50, 80, 3)
    assert cover_rect(400, 100, 200, 200) == (150, 0, 100, 100)
    assert cover_fit(img, (40, 10)).shape == (10, 40, 3)


def test_unreadable_picture_and_video_are_clear_errors(tmp_path):
    bad = tmp_path / "bad.jpg"
    bad.write_bytes(b"not a jpeg at all")
    for cls in (ImageBackground, VideoBackground):
        with pytest.raises(StudioError) as e:
            cls(bad)
        assert e.value.hint
        with pytest.raises(StudioError):
            cls(tmp_path / "missing.file")
    with pytest.raises(StudioError):
        make_background(BackgroundSettings(kind="image", path=""))


class FakeClock:
    def __init__(self):
        self.t = 100.0

    def __call__(self):
        return self.t


def _write_video(path: Path, n: int, fps: float = 10.0) -> None:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (64, 48))
    assert writer.isOpened()
    for i in range(n):
        writer.write(np.full((48, 64, 3), i * 20, np.uint8))  # frame i has grey level 20 * i
    writer.release()


def test_video_background_follows_its_own_clock_and_loops(tmp_path):
    path = tmp_path / "bg.avi"
    _write_video(path, 5, fps=10.0)
    clock = FakeClock()
    bg = VideoBackground(path, clock=clock)
    frame = np.zeros((96, 128, 3), np.uint8)

    def level():
        return int(np.median(bg.render(frame)))

    assert bg.fps == pytest.approx(10.0)
    assert level() == pytest.approx(0, abs=4)
    decoded = bg.decoded
    for _ in range(3):  # rendering faster than the video's pace decodes nothing new
        assert level() == pytest.approx(0, abs=4)
    assert bg.decoded == decoded
    clock.t += 0.1
    assert level() == pytest.approx(20, abs=4)
    clock.t += 0.25  # 0.35 s -> frame 3
    assert level() == pytest.approx(60, abs=4)
    clock.t += 0.2  # 0.55 s -> frame 5 == frame 0 after the loop
    assert level() == pytest.approx(0, abs=4)
    clock.t += 0.1
    assert level() == pytest.approx(20, abs=4)
    bg.close()


def test_real_video_background(shared_data):
    bg = make_background(BackgroundSettings(kind="video", path=str(shared_data / "video" / "asl" / "bird.mkv")))
    out = bg.render(np.zeros((720, 1280, 3), np.uint8))
    assert out.shape == (720, 1280, 3) and out.std() > 5
    bg.close()


def test_make_background_kinds():
    for kind, cls in [("blur", BlurBackground), ("color", ColorBackground), ("none", TransparentBackground)]:
        bg = make_background(BackgroundSettings(kind=kind))
        assert isinstance(bg, cls) and isinstance(bg, Background)
    assert make_background(BackgroundSettings(kind="none")).render(np.zeros((4, 4, 3), np.uint8)) is None
    bg = make_background(BackgroundSettings(kind="image", path=str(REPO / "resources/backgrounds/room.jpg")))
    assert bg.render(np.zeros((72, 128, 3), np.uint8)).shape == (72, 128, 3)
