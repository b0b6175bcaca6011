"""Memory stays flat over many requests (the peer rembg's server grows until it is killed). Slow: deselect with
-m 'not slow'. The measured figure with the real model and 1,000 requests is in installers/bench_serve.py's output."""

from __future__ import annotations

import pytest

from tests.server.conftest import encoded, fake_opener, running, scene

from studio.server.options import ServeOptions


@pytest.mark.slow
def test_rss_is_flat_over_hundreds_of_requests(client):
    import psutil

    proc = psutil.Process()
    jpeg = encoded(scene(640, 480, seed=9))
    with running(ServeOptions(), opener=fake_opener()) as s:
        def burst(n: int) -> None:
            for i in range(n):
                path = "/tiles" if i % 4 == 0 else "/process"
                r = client.post(s.url + path, content=jpeg, headers={"content-type": "image/jpeg"},
                                params={"format": "webp"} if path == "/process" else {})
                assert r.status_code == 200

        burst(30)  # warm: allocator pools, caches, the first encodes
        before = proc.memory_info().rss
        burst(120)
        after = proc.memory_info().rss
    growth_mb = (after - before) / 2**20
    assert growth_mb < 25, f"RSS grew {growth_mb:.1f} MB over 120 requests"
