import json

from studio.cli.main import main


def test_bench_warp_json_on_davis_frames(shared_data, capsys):
    rc = main(["bench", "warp", "--sequence", str(shared_data / "davis" / "dance-twirl"), "--limit", "6",
               "--size", "427x240", "--models", "selfie", "--backend", "onnxruntime", "--json"])
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["frames"] == 6 and doc["size"] == "427x240" and doc["every"] == 2
    (model,) = doc["models"]
    rows = {r["mode"]: r for r in model["rows"]}
    assert list(rows) == ["every", "gated", "gated+warp"]
    assert rows["every"]["inferences"] == 6 and rows["gated"]["inferences"] == rows["gated+warp"]["inferences"] == 3
    for r in rows.values():
        assert 0.0 < r["mean_iou"] <= 1.0 and r["flicker"] >= 0.0
    # the dancer moves: the three frames between masks are warped, and only in the warp mode
    assert rows["gated+warp"]["warped_frames"] == 3 and rows["gated"]["warped_frames"] == 0
    assert rows["gated+warp"]["warp_ms_p50"] > 0.0


def test_bench_warp_with_lag_adds_every_plus_warp(shared_data, capsys, tmp_path):
    rc = main(["bench", "warp", "--sequence", str(shared_data / "davis" / "dance-twirl"), "--limit", "4",
               "--size", "427x240", "--lag", "1", "--backend", "onnxruntime", "--out", str(tmp_path / "w.json")])
    assert rc == 0
    out = capsys.readouterr().out
    assert "lag 1 frames" in out and "every+warp" in out
    doc = json.loads((tmp_path / "w.json").read_text())
    assert doc["lag"] == 1 and [r["mode"] for r in doc["models"][0]["rows"]][-1] == "every+warp"


def test_bench_warp_without_a_sequence_is_a_message(tmp_path, capsys):
    rc = main(["bench", "warp", "--sequence", str(tmp_path)])
    assert rc != 0
    assert "no sequence found" in capsys.readouterr().err
