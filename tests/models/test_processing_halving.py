"""The preprocessor's way to a small input from a big frame: halvings (INTER_AREA's fast path) and the rest at a
fractional ratio, close to one INTER_AREA at the fractional ratio (which reads every pixel slowly)."""

from __future__ import annotations

import cv2
import numpy as np

from studio.capture.synthetic import SyntheticSource
from studio.models.processing import Preprocessor
from studio.models.spec import ModelSpec


def test_a_big_frame_is_halved_before_the_area_shrink_and_comes_out_close_to_one_area_shrink():
    src = SyntheticSource(1920, 1080, 30.0, noise=2.0, realtime=False)
    src.open()
    frame = src.render(10)
    pre = Preprocessor(ModelSpec(name="t", kind="object", file="t.onnx", licence="-", source="-",
                                 input_size=(320, 320), resize="area", color="BGR", scale=1.0))
    halved = pre._halved(frame, 320, 320)
    assert halved.shape == (540, 960, 3)  # one halving: another would be under 320 rows
    tensor = pre(frame, (320, 320))
    direct = cv2.resize(frame, (320, 320), interpolation=cv2.INTER_AREA).astype(np.float32)
    made = tensor[0].transpose(1, 2, 0) if tensor.shape[1] == 3 else tensor[0]
    assert np.abs(made - direct).mean() < 1.0
    assert pre._halved(np.zeros((300, 400, 3), np.uint8), 320, 320).shape == (300, 400, 3)  # nothing to halve
