"""A short real video file written with cv2.VideoWriter, so capture tests do not depend on shared data."""

from __future__ import annotations

import cv2
import numpy as np
import pytest


def write_clip(path, frames: int = 20, size=(160, 120), fps: float = 30.0, fourcc: str = "MJPG"):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter.fourcc(*fourcc), fps, size)
    assert writer.isOpened()
    for i in range(frames):
        img = np.zeros((size[1], size[0], 3), np.uint8)
        # A bright bar that walks across, and the frame number encoded as grey level (MJPG keeps it within a few).
        img[:, (i * 7) % size[0]:(i * 7) % size[0] + 8] = 255
        img[:8, :8] = i * 10 % 256
        writer.write(img)
    writer.release()
    return path


@pytest.fixture
def clip_writer():
    return write_clip


@pytest.fixture
def clip(tmp_path):
    return write_clip(tmp_path / "clip.avi")
