"""`studio process --engine ray` on a local Ray cluster on this machine: the same bytes and journal as the local
engine, and a worker killed mid-run is retried by Ray without any picture written twice or half.

Slow (a Ray cluster starts, and its actors load the model): marked ``slow``; skipped when ray is not installed (the
``[cluster]`` extra)."""

from __future__ import annotations

import json
import os

import pytest

from studio.stills.batch import process_batch

from test_process_files import picture  # noqa: E402 - tests/stills is on sys.path (not a package)

ray = pytest.importorskip("ray", reason="the [cluster] extra (ray[data]) is not installed")
pytest.importorskip("ray.data", reason="the [cluster] extra (ray[data]) is not installed")

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def local_ray():
    from studio.stills.ray_engine import init

    init(num_cpus=2)
    yield
    ray.shutdown()


def _journal(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_ray_matches_the_local_engine_and_survives_a_killed_worker(local_ray, tmp_path):
    src = tmp_path / "in"
    for i, (w, h) in enumerate([(240, 180), (320, 200), (160, 240), (300, 300), (200, 150), (256, 192)]):
        picture(src / f"p{i}.jpg", w, h, seed=i)
    (src / "p3b.jpg").write_bytes(b"not a picture")
    local = process_batch([src], tmp_path / "local", model="selfie", journal=tmp_path / "local.jsonl")
    marker = tmp_path / "crashed.json"
    far = process_batch([src], tmp_path / "ray", model="selfie", journal=tmp_path / "ray.jsonl", engine="ray",
                        engine_options={"workers": 2, "batch_size": 3, "crash_once": ("p4.jpg", str(marker))})
    assert marker.is_file(), "the worker was not killed: the test proves nothing"
    assert len(far.written) == len(local.written) == 6 and [p.name for p, _ in far.failed] == ["p3b.jpg"]
    for p in local.written:
        assert (tmp_path / "ray" / p.name).read_bytes() == p.read_bytes()
    # The picture written just before the kill was not written again by the retry (same file, same inode).
    crash = json.loads(marker.read_text())
    assert os.stat(crash["output"]).st_ino == crash["inode"]
    # Nothing half-written or left over: no temporaries, no run folder of receipts.
    assert sorted(p.name for p in (tmp_path / "ray").iterdir()) == sorted(p.name for p in local.written)
    # The journal: every picture once, in input order, the same facts as the local run's.
    keys = ("input", "status", "flags", "input_size", "model_input_size", "foreground_fraction")
    a, b = _journal(tmp_path / "local.jsonl"), _journal(tmp_path / "ray.jsonl")
    assert [r["input"] for r in b] == [r["input"] for r in a]
    assert [{k: r.get(k) for k in keys} for r in b] == [{k: r.get(k) for k in keys} for r in a]
    # Resume: the same journal skips everything.
    again = process_batch([src], tmp_path / "ray", model="selfie", journal=tmp_path / "ray.jsonl", engine="ray",
                          engine_options={"workers": 1})
    assert not again.written and len(again.skipped) == 6


def test_ray_passes_quality_mode_and_the_edge_setting(local_ray, tmp_path):
    from studio.stills.batch import BatchOptions

    src = tmp_path / "in"
    for i, (w, h) in enumerate([(240, 180), (200, 260)]):
        picture(src / f"q{i}.jpg", w, h, seed=10 + i)
    opts = BatchOptions(quality="best", edge_px=-1)
    local = process_batch([src], tmp_path / "local", model="selfie", options=opts, journal=tmp_path / "l.jsonl")
    far = process_batch([src], tmp_path / "ray", model="selfie", options=opts, journal=tmp_path / "r.jsonl",
                        engine="ray", engine_options={"workers": 1})
    fast = process_batch([src], tmp_path / "fast", model="selfie")
    assert len(far.written) == len(local.written) == 2
    for p in local.written:
        assert (tmp_path / "ray" / p.name).read_bytes() == p.read_bytes()
        assert (tmp_path / "fast" / p.name).read_bytes() != p.read_bytes()  # quality mode really ran
    assert all(r["settings"]["quality"] == "best" and r["settings"]["edge_px"] == -1
               for r in _journal(tmp_path / "r.jsonl")), _journal(tmp_path / "r.jsonl")
