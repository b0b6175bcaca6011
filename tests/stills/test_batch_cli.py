"""`studio process` and `studio eval` run in-process with the real embedded models on real portraits."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from studio.cli.main import main
from studio.stills.batch import expand_inputs, plan_outputs, quality_flags
from studio.stills.imageio import read_rgba


@pytest.fixture
def inputs(shared_data, tmp_path):
    """Three real portraits with a corrupt 'photo' between them, in a folder of their own."""
    src = sorted((shared_data / "portraits" / "img").glob("*.jpg"))[:3]
    d = tmp_path / "in"
    d.mkdir()
    for i, f in enumerate(src):
        shutil.copy(f, d / f"p{i}{f.suffix}")
    (d / "p0x_corrupt.jpg").write_bytes(b"\xff\xd8\xff\xe0 this is not really a jpeg")
    return d


def _journal(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


def test_process_folder_with_a_corrupt_file_journal_and_resume(inputs, tmp_path, capsys):
    out, journal = tmp_path / "out", tmp_path / "journal.jsonl"
    args = ["process", str(inputs), "--out", str(out), "--model", "selfie", "--journal", str(journal)]
    assert main(args) == 1  # one failed file, the batch went on
    written = sorted(p.name for p in out.iterdir())
    assert written == ["p0.png", "p1.png", "p2.png"]
    for name in written:
        rgba = read_rgba(out / name)
        a = rgba[:, :, 3]
        assert rgba.shape[2] == 4 and a.min() == 0 and a.max() == 255  # a real cutout: both clear and solid
    records = _journal(journal)
    assert [r["status"] for r in records] == ["ok", "failed", "ok", "ok"]  # sorted: p0, p0x_corrupt, p1, p2
    ok = records[0]
    assert ok["model"] == "selfie" and ok["backend"] and ok["model_input_size"] == [256, 256]
    assert len(ok["input_size"]) == 2 and ok["seconds"] > 0 and isinstance(ok["flags"], list)
    assert 0 < ok["foreground_fraction"] < 1 and 0 <= ok["uncertain_fraction"] < 1
    assert "p0x_corrupt.jpg" in records[1]["input"] and records[1]["error"]
    assert "1 failed" in capsys.readouterr().out

    # Re-run: the three done are skipped; the corrupt one is tried (and fails) again.
    (out / "p2.png").unlink()  # ... except one whose output has gone
    assert main(args) == 1
    records = _journal(journal)
    assert len(records) == 6 and records[4]["status"] == "failed" and records[5]["output"].endswith("p2.png")
    assert (out / "p2.png").is_file()
    assert "2 skipped" in capsys.readouterr().out


def test_process_default_model_jpg_on_colour_and_glob(inputs, tmp_path):
    out = tmp_path / "out"
    code = main(["process", str(inputs / "p0.*"), "--out", str(out), "--format", "jpg", "--background", "#0000ff"])
    assert code == 0
    assert [p.name for p in out.iterdir()] == ["p0.jpg"]


def test_process_refine_none_gives_the_raw_mask_and_edge_px_moves_the_edge(inputs, tmp_path):
    src = sorted(inputs.glob("p[0-9].jpg"))[0]
    alphas = {}
    for name, flags in (("guided", []), ("none", ["--refine", "none"]), ("in", ["--edge-px", "-3"]),
                        ("out", ["--edge-px", "3"])):
        out = tmp_path / f"{name}.png"
        assert main(["process", str(src), "-o", str(out), "--model", "selfie", "--only-mask", *flags]) == 0
        alphas[name] = read_rgba(out)[..., 0].astype(np.float32) / 255
    assert not np.array_equal(alphas["none"], alphas["guided"])  # the raw model mask, not the refined one
    fg = {k: float((a >= 0.5).mean()) for k, a in alphas.items()}
    assert fg["in"] < fg["guided"] < fg["out"], fg
    assert main(["process", str(src), "-o", str(tmp_path / "x.png"), "--edge-px", "12"]) == 2  # out of range


def test_process_missing_input_counts_as_failed(tmp_path):
    assert main(["process", str(tmp_path / "nope.jpg"), str(tmp_path / "*.png"), "--out", str(tmp_path)]) == 2


def test_expand_and_plan(tmp_path):
    for n in ("a.jpg", "a.png", "b.webp", "notes.txt"):
        (tmp_path / n).write_bytes(b"x")
    files, missing = expand_inputs([tmp_path, tmp_path / "a.jpg", str(tmp_path / "*.jpg")])
    assert [f.name for f in files] == ["a.jpg", "a.png", "b.webp"] and not missing
    outs = [it.output.name for it in plan_outputs(files, tmp_path / "o", "png")]
    assert outs == ["a.png", "a_png.png", "b.png"]


def test_quality_flags():
    assert quality_flags(np.zeros((10, 10), np.float32))[0] == ["empty_mask"]
    assert quality_flags(np.ones((10, 10), np.float32))[0] == ["full_mask"]
    mushy = np.full((10, 10), 0.5, np.float32)
    assert "large_uncertain_band" in quality_flags(mushy)[0]


def test_eval_cli_json(shared_data, capsys):
    p = shared_data / "portraits"
    assert main(["eval", "--images", str(p / "img"), "--masks", str(p / "mask"), "--model", "selfie",
                 "--limit", "5", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["count"] == 5 and len(data["images"]) == 5
    # selfie measured 0.94 mean IoU over the whole set
    assert data["mean_iou"] > 0.8 and 0 < data["mae"] < 0.1 and 0.3 < data["boundary_f"] <= 1
