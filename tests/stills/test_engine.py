"""The overlapped batch engine: the same bytes and the same journal order as the sequential path, failures in their
place, large pictures through their own path, and no thread left behind when the batch stops early."""

from __future__ import annotations

import json

import pytest

from studio.stills.batch import BatchOptions, process_batch
from studio.stills.cutout import Cutter
from studio.stills.engine import records
from studio.stills.inputs import expand_inputs, plan_outputs
from test_process_files import picture  # noqa: E402 - tests/stills is on sys.path (not a package)


@pytest.fixture
def mixed(tmp_path):
    """Pictures of several sizes with a corrupt file in the middle of them."""
    d = tmp_path / "in"
    for i, (w, h) in enumerate([(240, 180), (320, 200), (160, 240), (300, 300), (200, 150)]):
        picture(d / f"p{i}.jpg", w, h, seed=i)
    (d / "p2b.jpg").write_bytes(b"\xff\xd8not a jpeg")
    return d


def _run(src, out, engine, journal, **kw):
    return process_batch([src], out, model="selfie", engine=engine, journal=journal, **kw)


@pytest.mark.parametrize("opts", [BatchOptions(), BatchOptions(fmt="jpg", background=(0, 128, 255)),
                                  BatchOptions(fmt="webp", only_mask=True)])
def test_overlap_writes_the_same_bytes_and_journal_order_as_sequential(mixed, tmp_path, opts):
    runs = {}
    for engine in ("sequential", "overlap"):
        out, jr = tmp_path / engine, tmp_path / f"{engine}.jsonl"
        res = _run(mixed, out, engine, jr, options=opts)
        assert len(res.written) == 5 and [p.name for p, _ in res.failed] == ["p2b.jpg"]
        recs = [json.loads(line) for line in jr.read_text().splitlines()]
        runs[engine] = ({p.name: p.read_bytes() for p in out.iterdir()}, recs)
    (seq_files, seq_recs), (ovl_files, ovl_recs) = runs["sequential"], runs["overlap"]
    assert seq_files == ovl_files and len(ovl_files) == 5
    keys = ("input", "status", "flags", "input_size", "model_input_size", "foreground_fraction", "error")
    assert [{k: r.get(k) for k in keys} for r in ovl_recs] == [{k: r.get(k) for k in keys} for r in seq_recs]
    assert [r["status"] for r in ovl_recs] == ["ok", "ok", "ok", "failed", "ok", "ok"]  # p2b sorts after p2
    for recs in (ovl_recs, seq_recs):  # every engine says which precision made each picture
        assert all(r.get("precision") for r in recs if r["status"] == "ok" and "openvino" in r["backend"])


def test_large_pictures_take_their_own_path_in_the_overlapped_engine(tmp_path, monkeypatch):
    import studio.stills.large as large

    src = tmp_path / "in"
    for i in range(3):
        picture(src / f"q{i}.jpg", 400, 300, seed=i)
    monkeypatch.setattr(large, "LARGE_PIXELS", 100_000)  # 400x300 counts as large; the bounded path runs
    monkeypatch.setattr(large, "WORK_PIXELS", 50_000)
    a = _run(src, tmp_path / "a", "sequential", None)
    b = _run(src, tmp_path / "b", "overlap", None)
    assert a.ok and b.ok and len(b.written) == 3
    for p in a.written:
        assert p.read_bytes() == (tmp_path / "b" / p.name).read_bytes()


def test_stopping_early_joins_the_threads_and_records_come_in_order(mixed, tmp_path):
    files, _ = expand_inputs([mixed])
    todo = plan_outputs(files, tmp_path / "o", "png")
    with Cutter("selfie") as cutter:
        gen = records(todo, cutter, BatchOptions())
        first = next(gen)
        assert first[0] is todo[0] and first[1]["status"] == "ok" and first[2] is None
        gen.close()  # as a `break` or Ctrl-C in the caller would: the conftest fails the test if a thread is left
        got = [r[0] for r in records(todo, cutter, BatchOptions())]
    assert got == todo
