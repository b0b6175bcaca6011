"""Long commands show progress: `studio eval` a bar, `studio bench` its plan up front and rows as they finish with an
estimate of the rest."""

from __future__ import annotations

import cv2
import numpy as np

from studio.cli.main import main


def test_eval_draws_a_progress_bar(tmp_path, capsys):
    from studio.capture.synthetic import SyntheticSource

    (tmp_path / "img").mkdir()
    (tmp_path / "mask").mkdir()
    src = SyntheticSource(240, 180, 30.0, motion="slow", noise=2.0, realtime=False)
    src.open()
    try:
        for i in range(2):
            cv2.imwrite(str(tmp_path / "img" / f"{i}.png"), src.read())
            mask = np.zeros((180, 240), np.uint8)
            cv2.ellipse(mask, (120, 120), (50, 90), 0, 0, 360, 255, -1)
            cv2.imwrite(str(tmp_path / "mask" / f"{i}.png"), mask)
    finally:
        src.close()
    assert main(["eval", "--images", str(tmp_path / "img"), "--masks", str(tmp_path / "mask"), "--model", "selfie",
                 "--progress"]) == 0
    err = capsys.readouterr().err
    assert "eval" in err and "2/2" in err and "IoU" in err


def test_bench_prints_its_plan_and_rows_as_they_finish(capsys):
    assert main(["bench", "--models", "selfie", "--backends", "onnxruntime", "--sizes", "64x48,96x64", "--runs", "2",
                 "--warmup", "0"]) == 0
    err = capsys.readouterr().err
    assert err.index("bench: 1 models x 2 frame sizes") < err.index("[1/2 groups") < err.index("[2/2 groups")
    assert "about" in err and "selfie" in err.split("[1/2 groups")[0]  # the first group's row came before the second
