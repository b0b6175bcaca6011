"""Loading every awkward kind of picture as BGR uint8, clear errors for broken files, atomic cutout writing."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from studio.stills.imageio import ImageReadError, encode_cutout, load_image, read_rgba, save_cutout


@pytest.fixture
def rgb():
    """A 40x60 RGB picture with distinct quadrants (so orientation mistakes show)."""
    a = np.zeros((40, 60, 3), np.uint8)
    a[:20, :30] = (255, 0, 0)
    a[:20, 30:] = (0, 255, 0)
    a[20:, :30] = (0, 0, 255)
    a[20:, 30:] = (200, 200, 200)
    return a


def test_rgb_png_and_jpeg(tmp_path, rgb):
    Image.fromarray(rgb).save(tmp_path / "a.png")
    img = load_image(tmp_path / "a.png")
    assert img.bgr.dtype == np.uint8 and img.alpha is None and img.size == (60, 40)
    assert np.array_equal(img.bgr, rgb[:, :, ::-1])


def test_greyscale_and_16_bit(tmp_path):
    grey = np.tile(np.arange(0, 256, 4, dtype=np.uint8), (10, 1))
    Image.fromarray(grey).save(tmp_path / "g.png")
    g = load_image(tmp_path / "g.png")
    assert g.bgr.shape == (10, 64, 3) and np.array_equal(g.bgr[:, :, 0], grey)
    # 16-bit grey and 16-bit colour PNGs (written by OpenCV, which keeps 16 bits)
    g16 = grey.astype(np.uint16) * 257
    cv2.imwrite(str(tmp_path / "g16.png"), g16)
    out = load_image(tmp_path / "g16.png")
    assert out.bgr.dtype == np.uint8 and np.abs(out.bgr[:, :, 1].astype(int) - grey).max() <= 1
    c16 = np.dstack([g16, g16 // 2, 65535 - g16])
    cv2.imwrite(str(tmp_path / "c16.png"), c16)
    out = load_image(tmp_path / "c16.png")
    expected = (c16 // 257).astype(np.uint8)
    assert np.abs(out.bgr.astype(int) - expected).max() <= 1


def test_cmyk_jpeg(tmp_path, rgb):
    Image.fromarray(rgb).convert("CMYK").save(tmp_path / "c.jpg", quality=95)
    img = load_image(tmp_path / "c.jpg")
    assert img.mode == "CMYK" and img.bgr.shape == (40, 60, 3)
    assert np.abs(img.bgr[5, 5].astype(int) - (0, 0, 255)).max() < 40  # red stays red


def test_palette_with_transparency_la_and_rgba(tmp_path, rgb):
    p = Image.fromarray(rgb).convert("P", palette=Image.Palette.ADAPTIVE, colors=4)
    p.info["transparency"] = p.getpixel((50, 30))  # the grey quadrant becomes transparent
    p.save(tmp_path / "p.png", transparency=p.info["transparency"])
    img = load_image(tmp_path / "p.png")
    assert img.alpha is not None and img.alpha[30, 50] == 0 and img.alpha[5, 5] == 255
    la = np.dstack([np.full((8, 8), 100, np.uint8), np.full((8, 8), 50, np.uint8)])
    Image.fromarray(la, "LA").save(tmp_path / "la.png")
    img = load_image(tmp_path / "la.png")
    assert img.bgr[0, 0].tolist() == [100, 100, 100] and img.alpha[0, 0] == 50
    rgba = np.dstack([rgb, np.full((40, 60), 77, np.uint8)])
    Image.fromarray(rgba, "RGBA").save(tmp_path / "rgba.png")
    img = load_image(tmp_path / "rgba.png")
    assert np.array_equal(img.bgr, rgb[:, :, ::-1]) and (img.alpha == 77).all()


def test_exif_orientation_is_applied(tmp_path, rgb):
    im = Image.fromarray(rgb)
    exif = im.getexif()
    exif[0x0112] = 6  # "rotate 90 CW to view"
    im.save(tmp_path / "r.jpg", exif=exif, quality=95)
    img = load_image(tmp_path / "r.jpg")
    assert img.size == (40, 60)  # portrait now
    # After a 90 degree clockwise turn the top-left (red) quadrant is top-right.
    assert np.abs(img.bgr[5, 35].astype(int) - (0, 0, 255)).max() < 40


@pytest.mark.parametrize("data", [b"", b"\x89PNG\r\n\x1a\n garbage", b"hello, I am a text file", None])
def test_corrupt_files_are_clear_errors(tmp_path, rgb, data):
    path = tmp_path / "bad.jpg"
    if data is None:  # a real JPEG cut in half
        buf = io.BytesIO()
        Image.fromarray(np.random.default_rng(0).integers(0, 256, (200, 200, 3), np.uint8)).save(buf, "JPEG")
        data = buf.getvalue()[:len(buf.getvalue()) // 2]
    path.write_bytes(data)
    with pytest.raises(ImageReadError) as e:
        load_image(path)
    assert "bad.jpg" in str(e.value) and e.value.hint
    with pytest.raises(ImageReadError):
        load_image(tmp_path / "missing.png")


def test_real_portrait_loads(shared_data):
    img = load_image(next((shared_data / "portraits" / "img").glob("*.jpg")))
    assert img.bgr.ndim == 3 and img.bgr.dtype == np.uint8


def test_write_formats(tmp_path, rgb):
    bgr = rgb[:, :, ::-1].copy()
    alpha = np.zeros((40, 60), np.float32)
    alpha[:, :30] = 1.0
    png = read_rgba(save_cutout(tmp_path / "o.png", bgr, alpha))
    assert png[:, :, 3].tolist() == (alpha * 255).astype(np.uint8).tolist()
    assert np.array_equal(png[:, :30, :3], rgb[:, :30])
    webp = read_rgba(encode_cutout(bgr, alpha, "webp"))
    assert webp[20, 5, 3] > 250 and webp[20, 55, 3] < 5
    jpg = cv2.imdecode(np.frombuffer(encode_cutout(bgr, alpha, "jpg"), np.uint8), cv2.IMREAD_COLOR)
    assert jpg[20, 55].min() > 245  # composited over white
    on_colour = read_rgba(encode_cutout(bgr, alpha, "png", background=(0, 0, 255)))
    assert (on_colour[:, :, 3] == 255).all() and on_colour[20, 55, :3].tolist() == [0, 0, 255]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.png"]  # no temporary files left behind
