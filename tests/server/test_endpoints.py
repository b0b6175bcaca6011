"""Each endpoint on a real service with the embedded u2netp model, over real HTTP."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.server.conftest import encoded, fake_opener, rgba_of, running, scene

from studio.core.errors import StudioError
from studio.server.options import ServeOptions
from studio.server.render import reassemble


@pytest.fixture(scope="module")
def real_server():
    with running(ServeOptions(model="u2netp"), telemetry=True) as server:
        yield server


def _post(client, url, data, ctype="image/jpeg", **params):
    return client.post(url, content=data, headers={"content-type": ctype}, params=params)


def test_health_names_the_model_and_what_runs_it(real_server, client):
    r = client.get(real_server.url + "/health")
    assert r.status_code == 200
    h = r.json()
    assert h["status"] == "ok" and h["model"] == "u2netp"
    assert h["runs_on"] and "fake" not in h["runs_on"]
    assert h["models"][0] == "u2netp" and "selfie" in h["models"]
    assert h["queue"]["capacity"] == h["queue"]["workers"] + 4
    assert {"p50_ms", "p95_ms", "p99_ms", "window"} <= set(h["latency"])
    assert {"cpu_temp_c", "rss_mb", "sensors"} <= set(h["telemetry"]) and h["telemetry"]["rss_mb"] > 0


def test_process_returns_an_rgba_png_of_the_pictures_size(real_server, client):
    r = _post(client, real_server.url + "/process", encoded(scene(320, 240)))
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/png"
    assert r.headers["x-studio-model"] == "u2netp" and r.headers["x-studio-size"] == "320x240"
    rgba = rgba_of(r.content)
    assert rgba.shape == (240, 320, 4)
    a = rgba[:, :, 3]
    assert a[120, 160] > 128 and a.min() < 64  # the subject is kept, some background is cut away


def test_process_takes_multipart_png_and_webp(real_server, client):
    img = scene(200, 150, seed=1)
    r = client.post(real_server.url + "/process", files={"file": ("shot.png", encoded(img, "png"), "image/png")})
    assert r.status_code == 200, r.text
    assert rgba_of(r.content).shape == (150, 200, 4)
    r = _post(client, real_server.url + "/process", encoded(img, "webp"), "image/webp", format="webp")
    assert r.status_code == 200 and r.headers["content-type"] == "image/webp"
    assert r.content[:4] == b"RIFF" and rgba_of(r.content).shape == (150, 200, 4)


def test_jpeg_is_composited_and_max_side_scales_down(real_server, client):
    img = scene(400, 300, seed=2)
    r = _post(client, real_server.url + "/process", encoded(img), format="jpg", background="#00ff00", max_side=200)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "image/jpeg"
    out = rgba_of(r.content)
    assert out.shape == (150, 200, 4) and (out[:, :, 3] == 255).all()
    corner = out[2, 2, :3].astype(int)
    assert corner[1] > 200 and corner[0] < 60  # background replaced by green
    r = _post(client, real_server.url + "/process", encoded(img), format="jpeg", refine="false")
    assert r.status_code == 200 and rgba_of(r.content).shape == (300, 400, 4)


@pytest.mark.parametrize("background", [None, "white"])
def test_tiles_put_together_equal_the_process_result(real_server, client, background):
    img = encoded(scene(333, 250, seed=3), "png")
    params = {"background": background} if background else {}
    full = _post(client, real_server.url + "/process", img, "image/png", **params)
    assert full.status_code == 200
    with client.stream("POST", real_server.url + "/tiles", content=img, headers={"content-type": "image/png"},
                       params={"tile": 64, **params}) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("application/x-ndjson")
        messages = [json.loads(line) for line in r.iter_lines() if line]
    start, end = messages[0], messages[-1]
    assert start["type"] == "start" and end["type"] == "end"
    assert (start["width"], start["height"], start["cols"], start["rows"]) == (333, 250, 6, 4)
    tiles = [m for m in messages if m["type"] == "tile"]
    assert len(tiles) == start["tiles"] == end["tiles"] == 24
    assert sorted((t["x"], t["y"]) for t in tiles) == sorted((x, y) for y in range(0, 250, 64)
                                                            for x in range(0, 333, 64))
    expected = rgba_of(full.content)
    got = reassemble(messages)
    if start["channels"] == 3:
        got = np.dstack([got, np.full(got.shape[:2], 255, np.uint8)])
    assert start["channels"] == (3 if background else 4)
    np.testing.assert_array_equal(got, expected)


def test_metrics_count_requests_and_latency(real_server, client):
    _post(client, real_server.url + "/process", encoded(scene(160, 120)))
    r = client.get(real_server.url + "/metrics")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert 'studio_requests_total{endpoint="/process",status="200"}' in text
    assert "studio_cutout_seconds_bucket" in text and "studio_queue_depth" in text
    assert 'studio_latency_seconds{quantile="0.95"}' in text and "studio_rss_bytes" in text
    assert client.get(real_server.url + "/health").json()["requests_served"] >= 1


def test_page_and_schema_are_served(real_server, client):
    r = client.get(real_server.url + "/")
    assert r.status_code == 200 and "text/html" in r.headers["content-type"]
    assert "<canvas" in r.text and "tiles?" in r.text
    schema = client.get(real_server.url + "/openapi.json").json()
    paths = schema["paths"]
    assert {"/process", "/tiles", "/health", "/metrics", "/"} <= set(paths)
    for path in ("/process", "/tiles"):
        op = paths[path]["post"]
        assert {"400", "408", "413", "415", "422", "503", "504"} <= set(op["responses"])
        assert {"image/jpeg", "image/png", "image/webp", "multipart/form-data"} <= set(op["requestBody"]["content"])
        names = {p["name"] for p in op["parameters"]}
        assert {"model", "background", "max_side", "refine", "quality"} <= names
    assert {p["name"] for p in paths["/process"]["post"]["parameters"]} >= {"format"}
    assert {p["name"] for p in paths["/tiles"]["post"]["parameters"]} >= {"tile"}
    assert client.get(real_server.url + "/docs").status_code == 200


def test_one_session_per_model_even_when_asked_for_another(real_server, client):
    for _ in range(2):
        r = _post(client, real_server.url + "/process", encoded(scene(128, 96)), model="selfie-landscape")
        assert r.status_code == 200 and r.headers["x-studio-model"] == "selfie-landscape"
    loaded = client.get(real_server.url + "/health").json()["loaded"]
    assert sorted(m["model"] for m in loaded) == ["selfie-landscape", "u2netp"]


def test_quality_best_fuses_selfie_with_u2netp_and_says_so(real_server, client):
    img = scene(200, 150, seed=3)
    fast = _post(client, real_server.url + "/process", encoded(img), model="selfie")
    best = _post(client, real_server.url + "/process", encoded(img), model="selfie", quality="best")
    assert fast.status_code == 200 and best.status_code == 200, best.text
    assert fast.headers["x-studio-quality"] == "fast" and best.headers["x-studio-quality"] == "best"
    a_fast, a_best = rgba_of(fast.content)[:, :, 3], rgba_of(best.content)[:, :, 3]
    assert a_best.shape == (150, 200)
    assert not np.array_equal(a_fast, a_best)  # the fused looks are a different answer, not the fast one relabelled
    loaded = client.get(real_server.url + "/health").json()["loaded"]
    assert {"model": "selfie", "quality": "best"}.items() <= next(
        m for m in loaded if m["quality"] == "best").items()
    bad = _post(client, real_server.url + "/process", encoded(img), quality="ultra")
    assert bad.status_code == 422


def test_the_service_default_quality_is_its_own_setting(client):
    with running(ServeOptions(quality="best"), opener=fake_opener()) as server:
        r = _post(client, server.url + "/process", encoded(scene(96, 64)))
        assert r.status_code == 200 and r.headers["x-studio-quality"] == "best"
        h = client.get(server.url + "/health").json()
        assert h["runs_on"] and [m["quality"] for m in h["loaded"]] == ["best"]  # preloaded in quality mode
    with pytest.raises(StudioError):
        ServeOptions(quality="ultra").check()
