"""`studio cam --stats-json` names where its start went: the process's start -> pipeline built -> model loaded ->
first frame out -> first frame cut with a mask (seconds from the process's start, in that order where it applies)."""

from __future__ import annotations

import json

from studio.cli.main import main


def test_cam_reports_its_cold_start(tmp_path):
    out = tmp_path / "stats.json"
    rc = main(["cam", "--source", "synthetic:moving", "--size", "320x180", "--model", "selfie", "--duration", "4",
               "--no-vcam", "--no-telemetry", "--stats-json", str(out)])
    assert rc == 0
    cold = json.loads(out.read_text())["cold_start"]
    assert set(cold) == {"started", "pipeline_built", "model_loaded", "first_frame", "first_masked_frame"}
    assert 0 <= cold["started"] <= cold["pipeline_built"] <= cold["first_frame"] <= cold["first_masked_frame"]
    # (the model-loaded event is delivered from the supervisor's thread: it may trail the first mask by a moment)
    assert cold["pipeline_built"] <= cold["model_loaded"]
