"""Every kind of bad input gets a 4xx with a JSON error, and the service stays up."""

from __future__ import annotations

import io
import struct
import zlib

import pytest

from tests.server.conftest import encoded, scene


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG that claims width x height: the IHDR and one tiny IDAT (a decompression bomb's header)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")


JPEG = encoded(scene(160, 120))

BAD = {
    "empty": (b"", "image/jpeg", {}, 400, "empty_body"),
    "not an image": (b"hello, this is text" * 10, "image/jpeg", {}, 400, "not_an_image"),
    "truncated jpeg": (JPEG[: len(JPEG) // 2], "image/jpeg", {}, 400, "corrupt_image"),
    "gif": (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/gif", {}, 415, "unsupported_media_type"),
    "text content type": (JPEG, "text/plain", {}, 415, "unsupported_media_type"),
    "json content type": (b"{}", "application/json", {}, 415, "unsupported_media_type"),
    "decompression bomb": (_png_header_only(2900, 2900), "image/png", {}, 413, "too_many_pixels"),
    "absurd dimensions": (_png_header_only(60000, 10), "image/png", {}, 413, "too_large_dimensions"),
    "zero-size png": (_png_header_only(0, 0), "image/png", {}, 400, None),
    "body over the limit": (b"\xff\xd8" + b"\0" * (3 * 1024 * 1024), "image/jpeg", {}, 413, "body_too_large"),
    "unknown format": (JPEG, "image/jpeg", {"format": "gif"}, 422, "bad_request"),
    "max_side 0": (JPEG, "image/jpeg", {"max_side": "0"}, 422, "bad_request"),
    "max_side not a number": (JPEG, "image/jpeg", {"max_side": "big"}, 422, "bad_request"),
    "bad colour": (JPEG, "image/jpeg", {"background": "sunset"}, 422, "bad_request"),
    "unknown model": (JPEG, "image/jpeg", {"model": "rmbg-9"}, 422, "bad_request"),
    "refine not a bool": (JPEG, "image/jpeg", {"refine": "maybe"}, 422, "bad_request"),
}


@pytest.mark.parametrize("name", list(BAD))
def test_bad_input_is_a_4xx_with_a_json_error(fake_server, client, name):
    body, ctype, params, status, code = BAD[name]
    r = client.post(fake_server.url + "/process", content=body, headers={"content-type": ctype}, params=params)
    assert r.status_code == status, r.text
    err = r.json()
    assert set(err) == {"error", "detail"} and err["detail"]
    if code:
        assert err["error"] == code
    assert client.get(fake_server.url + "/health").status_code == 200


@pytest.mark.parametrize("params,code", [({"tile": "5"}, "bad_request"), ({"tile": "99999"}, "bad_request")])
def test_bad_tile_sizes(fake_server, client, params, code):
    r = client.post(fake_server.url + "/tiles", content=JPEG, headers={"content-type": "image/jpeg"}, params=params)
    assert r.status_code == 422 and r.json()["error"] == code


def test_a_chunked_upload_over_the_limit_is_cut_off(fake_server, client):
    def chunks():
        for _ in range(40):
            yield b"\0" * 100_000  # 4 MB in all, no Content-Length

    r = client.post(fake_server.url + "/process", content=chunks(), headers={"content-type": "image/jpeg"})
    assert r.status_code == 413 and r.json()["error"] == "body_too_large"


def test_multipart_without_the_file_field_and_malformed_multipart(fake_server, client):
    r = client.post(fake_server.url + "/process", files={"picture": ("a.jpg", JPEG, "image/jpeg")})
    assert r.status_code == 400 and r.json()["error"] == "missing_file"
    r = client.post(fake_server.url + "/process", content=b"--x\r\nnonsense",
                    headers={"content-type": "multipart/form-data; boundary=x"})
    assert 400 <= r.status_code < 500 and "error" in r.json()
    r = client.post(fake_server.url + "/process", content=b"abc", headers={"content-type": "multipart/form-data"})
    assert 400 <= r.status_code < 500 and "error" in r.json()


def test_unknown_paths_and_methods_are_json_too(fake_server, client):
    r = client.get(fake_server.url + "/nope")
    assert r.status_code == 404 and r.json()["error"] == "not_found"
    r = client.get(fake_server.url + "/process")
    assert r.status_code == 405 and r.json()["error"] == "method_not_allowed"


def test_good_input_still_works_after_all_that(fake_server, client):
    r = client.post(fake_server.url + "/process", content=JPEG, headers={"content-type": "image/jpeg"})
    assert r.status_code == 200 and r.headers["x-studio-runs-on"] == "fake on cpu"
    h = client.get(fake_server.url + "/health").json()
    assert h["requests_rejected"] > 0 and h["status"] == "ok"


def test_a_picture_with_exif_rotation_comes_back_upright(fake_server, client):
    from PIL import Image

    im = Image.new("RGB", (200, 100), (10, 200, 10))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW on display
    buf = io.BytesIO()
    im.save(buf, "JPEG", exif=exif)
    r = client.post(fake_server.url + "/process", content=buf.getvalue(), headers={"content-type": "image/jpeg"})
    assert r.status_code == 200 and r.headers["x-studio-size"] == "100x200"
