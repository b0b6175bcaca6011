import json

from studio.cli.main import main


def test_bench_mask_json_on_real_frames(shared_data, capsys):
    rc = main(["bench", "mask", "--data", str(shared_data), "--frames", "4", "--warmup", "1", "--size", "320x240",
               "--models", "selfie-landscape", "--backends", "onnxruntime", "--json"])
    assert rc == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["frames"] == 4
    (row,) = doc["rows"]
    assert row["frame"] == "320x240" and row["input"] == "256x144" and "onnxruntime" in row["backend"]
    # every way to frame size includes the segmentation itself
    assert 0 < row["segment_ms"]["p50"] <= row["to_frame_resize_ms"]["p50"]
    assert row["segment_ms"]["p50"] <= row["to_frame_guided_ms"]["p50"]
