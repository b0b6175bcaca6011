"""A real service on a loopback port, driven by a real HTTP client (httpx). Most tests use a fake segmenter (a disc
at model size: fast, deterministic, tunable delay); the end-to-end ones use the embedded u2netp."""

from __future__ import annotations

import io
import time
from contextlib import contextmanager
from types import SimpleNamespace

import cv2
import numpy as np
import pytest

pytest.importorskip("fastapi", reason="the service's extra [serve] is not installed")
pytest.importorskip("httpx", reason="httpx (dev extra) is not installed")

from studio.inference.segmenter import Segmentation  # noqa: E402
from studio.server import create_app  # noqa: E402
from studio.server.options import Limits, ServeOptions  # noqa: E402
from studio.server.runner import ServerThread  # noqa: E402


class FakeSegmenter:
    """A disc in the middle, at 64x64; ``delay`` seconds per picture (a slow model)."""

    backend_label = "fake on cpu"
    # what quality mode (studio.stills.quality.FusedSegmenter, ?quality=best) reads: an object model, 64x64 input
    spec = SimpleNamespace(name="fake", kind="object", input_size=(64, 64))
    report = None

    def __init__(self, delay: float = 0.0) -> None:
        self.delay = delay
        self.calls = 0
        self.closed = False
        yy, xx = np.mgrid[0:64, 0:64]
        self.alpha = (((yy - 32) ** 2 + (xx - 32) ** 2) < 22 ** 2).astype(np.float32)
        self.alpha = cv2.GaussianBlur(self.alpha, (5, 5), 0)

    def segment(self, image_bgr):
        self.calls += 1
        if self.delay:
            time.sleep(self.delay)
        return Segmentation(self.alpha.copy(), (64, 64), 0.0, self.delay, 0.0)

    def close(self) -> None:
        self.closed = True


def fake_opener(delay: float = 0.0, opened: list | None = None):
    def opener(model, backend, device):
        seg = FakeSegmenter(delay)
        if opened is not None:
            opened.append((model, backend, device, seg))
        return seg

    return opener


def scene(w: int = 320, h: int = 240, seed: int = 0) -> np.ndarray:
    """A textured background with a bright subject (BGR)."""
    rng = np.random.default_rng(seed)
    img = rng.integers(40, 90, (h, w, 3), dtype=np.uint8)
    cv2.circle(img, (w // 2, h // 2), min(w, h) // 3, (60, 120, 230), -1)
    cv2.rectangle(img, (w // 2 - 20, h // 2 - 5), (w // 2 + 20, h // 2 + 5), (250, 250, 250), -1)
    return img


def encoded(img: np.ndarray, fmt: str = "jpeg") -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(cv2.cvtColor(img, cv2.COLOR_BGR2RGB)).save(buf, fmt.upper())
    return buf.getvalue()


def rgba_of(data: bytes) -> np.ndarray:
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        return np.asarray(im.convert("RGBA")).copy()


@contextmanager
def running(options: ServeOptions | None = None, *, opener=None, telemetry: bool = False):
    app = create_app(options or ServeOptions(), opener=opener, telemetry=telemetry)
    with ServerThread(app) as server:
        yield server


@pytest.fixture(scope="module")
def fake_server():
    """A service over the fake segmenter with small limits (2 MiB body, 4 Mpx, 3000 px a side, 1+2 queue)."""
    limits = Limits(max_body_bytes=2 * 1024 * 1024, max_pixels=4_000_000, max_side=3000, request_timeout_s=10,
                    workers=1, queue_depth=2)
    with running(ServeOptions(limits=limits), opener=fake_opener(), telemetry=True) as server:
        yield server


@pytest.fixture
def client():
    import httpx

    with httpx.Client(timeout=60) as c:
        yield c
