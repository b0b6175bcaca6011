"""Token rules, the bounded queue under overload, time limits, and /health while the workers are busy."""

from __future__ import annotations

import threading
import time

import pytest

from tests.server.conftest import encoded, fake_opener, running, scene

from studio.core.errors import StudioError
from studio.server.options import Limits, ServeOptions

JPEG = encoded(scene(160, 120))
TOKEN = "s3cret-token-123"


def _process(client, url, **kw):
    return client.post(url + "/process", content=JPEG, headers={"content-type": "image/jpeg", **kw.pop("headers", {})},
                       **kw)


def test_token_is_checked_everywhere_but_health(client):
    with running(ServeOptions(token=TOKEN), opener=fake_opener()) as s:
        assert client.get(s.url + "/health").status_code == 200
        for method, path in [("POST", "/process"), ("POST", "/tiles"), ("GET", "/metrics"), ("GET", "/"),
                             ("GET", "/openapi.json"), ("GET", "/docs")]:
            r = client.request(method, s.url + path, content=JPEG, headers={"content-type": "image/jpeg"})
            assert r.status_code == 401, (path, r.text)
            assert r.json()["error"] == "unauthorized" and r.headers["www-authenticate"] == "Bearer"
            r = client.request(method, s.url + path, content=JPEG,
                               headers={"content-type": "image/jpeg", "authorization": "Bearer wrong-token-000"})
            assert r.status_code == 401, path
        assert _process(client, s.url, headers={"authorization": f"Bearer {TOKEN}"}).status_code == 200
        assert _process(client, s.url, params={"token": TOKEN}).status_code == 200
        assert client.get(s.url + "/metrics", params={"token": TOKEN}).status_code == 200
        assert client.get(s.url + "/", params={"token": TOKEN}).status_code == 200
        schema = client.get(s.url + "/openapi.json", headers={"authorization": f"Bearer {TOKEN}"}).json()
        assert "401" in schema["paths"]["/process"]["post"]["responses"]
        assert schema["paths"]["/process"]["post"]["security"]
        docs = client.get(s.url + "/docs", params={"token": TOKEN})
        assert docs.status_code == 200 and "openapi.json?token=" in docs.text


def test_other_addresses_need_a_token_or_a_loud_opt_out():
    with pytest.raises(StudioError, match="no token"):
        ServeOptions(host="0.0.0.0").check()
    with pytest.raises(StudioError, match="too short"):
        ServeOptions(host="0.0.0.0", token="abc").check()
    ServeOptions(host="0.0.0.0", token=TOKEN).check()
    ServeOptions(host="192.168.1.5", no_token=True).check()
    for loopback in ("127.0.0.1", "::1", "localhost", "127.0.0.2"):
        ServeOptions(host=loopback).check()


def test_cli_refuses_an_open_address_without_a_token(capsys, monkeypatch):
    from studio.cli.main import main

    monkeypatch.delenv("STUDIO_TOKEN", raising=False)
    assert main(["serve", "--host", "0.0.0.0", "--port", "8765"]) == 2
    assert "no token" in capsys.readouterr().err
    assert main(["serve", "--host", "0.0.0.0", "--token", TOKEN, "--no-token"]) == 2


def test_overload_answers_503_with_retry_after_and_health_stays_quick(client):
    import httpx

    limits = Limits(workers=1, queue_depth=1, request_timeout_s=30)
    with running(ServeOptions(limits=limits), opener=fake_opener(delay=0.6)) as s:
        results: list = []

        def fire():
            with httpx.Client(timeout=60) as c:
                results.append(_process(c, s.url))

        threads = [threading.Thread(target=fire) for _ in range(8)]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 10
        while client.get(s.url + "/health").json()["queue"]["depth"] == 0 and time.monotonic() < deadline:
            time.sleep(0.02)
        h = client.get(s.url + "/health")  # answered while the worker is busy with a slow cutout
        assert h.status_code == 200 and h.json()["queue"]["depth"] >= 1
        for t in threads:
            t.join()
        codes = sorted(r.status_code for r in results)
        assert set(codes) <= {200, 503} and codes.count(200) >= 2 and codes.count(503) >= 1, codes
        busy = next(r for r in results if r.status_code == 503)
        assert busy.json()["error"] == "busy" and int(busy.headers["retry-after"]) >= 1
        after = client.get(s.url + "/health").json()
        assert after["rejected"]["busy"] == codes.count(503) and after["queue"]["depth"] == 0
        assert _process(client, s.url).status_code == 200  # and it goes on serving


def test_a_cutout_past_the_time_limit_is_504_and_frees_its_slot(client):
    limits = Limits(workers=1, queue_depth=0, request_timeout_s=0.3)
    with running(ServeOptions(limits=limits, preload=False), opener=fake_opener(delay=1.0)) as s:
        r = _process(client, s.url)
        assert r.status_code == 504 and r.json()["error"] == "timeout"
        deadline = time.monotonic() + 10
        while client.get(s.url + "/health").json()["queue"]["depth"] and time.monotonic() < deadline:
            time.sleep(0.05)
        assert client.get(s.url + "/health").json()["queue"]["depth"] == 0


def test_a_body_that_trickles_in_is_408(client):
    limits = Limits(request_timeout_s=0.5)
    with running(ServeOptions(limits=limits), opener=fake_opener()) as s:
        def trickle():
            yield JPEG[:100]
            time.sleep(1.5)
            yield JPEG[100:]

        r = client.post(s.url + "/process", content=trickle(), headers={"content-type": "image/jpeg"})
        assert r.status_code == 408 and r.json()["error"] == "request_timeout"
        assert client.get(s.url + "/health").status_code == 200


def test_models_open_once_and_close_at_shutdown(client):
    opened: list = []
    with running(ServeOptions(), opener=fake_opener(opened=opened)) as s:
        threads = [threading.Thread(target=lambda: _process(client, s.url, params={"model": "selfie"}))
                   for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert sorted(o[0] for o in opened) == ["selfie", "u2netp"]
    assert all(o[3].closed for o in opened)


def test_the_access_log_never_shows_the_token():
    import logging

    from studio.server.runner import RedactToken

    record = logging.LogRecord("uvicorn.access", logging.INFO, "", 0, '%s - "%s %s" %d',
                               ("10.0.0.7:5000", "GET", f"/?tile=64&token={TOKEN}&x=1", 200), None)
    RedactToken().filter(record)
    assert TOKEN not in record.getMessage() and "token=***&x=1" in record.getMessage()


def test_the_printed_urls():
    from studio.server.runner import urls

    u = urls(ServeOptions(port=8123))
    assert u["page"] == "http://127.0.0.1:8123/" and u["docs"] == "http://127.0.0.1:8123/docs"
    u = urls(ServeOptions(host="0.0.0.0", port=9000, token=TOKEN))
    assert u["page"] == f"http://127.0.0.1:9000/?token={TOKEN}" and u["health"] == "http://127.0.0.1:9000/health"
    assert urls(ServeOptions(host="::1", port=9001))["base"] == "http://[::1]:9001"
