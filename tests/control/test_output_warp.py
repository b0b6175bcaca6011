"""The output thread moves an older mask with the picture (live.warp_mask), and leaves it alone when told to."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from studio.compose.backgrounds import make_background
from studio.compose.refine import MaskRefiner
from studio.compose.warp import MaskWarper
from studio.config.settings import BackgroundSettings, LiveSettings, RefineSettings
from studio.control import commands as cmd
from studio.control.align import MaskAligner
from studio.control.events import EventHub
from studio.control.gate import MotionGate
from studio.control.output_thread import MaskFeed, OutputStages, OutputThread, SourceInfo
from studio.control.thermal import ThermalGovernor
from studio.core.frame import Frame, Mask
from studio.core.kinds import AlignMode, BackgroundKind
from studio.core.mailbox import LatestSlot
from studio.output.simple import CallbackSink

W, H = 320, 180
MASK = (128, 72)


def _wall() -> np.ndarray:
    rng = np.random.default_rng(3)
    return cv2.GaussianBlur((rng.random((H, W, 3)) * 160).astype(np.uint8), (7, 7), 0)


def _frame(wall: np.ndarray, dx: int) -> tuple[np.ndarray, np.ndarray]:
    """A textured wall with a bright square at x = 100 + dx, and the square as a frame-size bool mask."""
    truth = np.zeros((H, W), bool)
    truth[60:120, 100 + dx:180 + dx] = True
    img = wall.copy()
    img[truth] += 90
    return img, truth


def _iou(alpha: np.ndarray, truth: np.ndarray) -> float:
    a = alpha >= 0.5
    return np.count_nonzero(a & truth) / np.count_nonzero(a | truth)


@pytest.mark.parametrize("warp_on", [True, False])
def test_a_mask_from_an_earlier_frame_follows_the_square(warp_on):
    wall = _wall()
    shown: list[np.ndarray] = []
    masks: LatestSlot[Mask] = LatestSlot()
    stages = OutputStages(MotionGate(), ThermalGovernor(), MaskRefiner(RefineSettings(smoothing=0.0)),
                          make_background(BackgroundSettings(kind=BackgroundKind.COLOR.value)),
                          [CallbackSink(lambda p: shown.append(p.alpha.copy()))],
                          align=MaskAligner(LiveSettings(align_mask=AlignMode.OFF.value)),
                          warp=MaskWarper(enabled=warp_on))
    out = OutputThread(LatestSlot(), MaskFeed(masks), stages, SourceInfo(lambda: 30.0), EventHub())
    try:
        img0, truth0 = _frame(wall, 0)
        masks.put(Mask(cv2.resize(truth0.astype(np.float32), MASK, interpolation=cv2.INTER_AREA), 0, 0.0, 0.0, MASK,
                       0.0))
        out.process(Frame(img0, 0, 0.0))
        img1, truth1 = _frame(wall, 24)  # the square moved; no new mask
        out.process(Frame(img1, 1, 1 / 30))
    finally:
        out.release()
    assert _iou(shown[0], truth0) > 0.9
    if warp_on:
        assert _iou(shown[1], truth1) > 0.9
    else:
        assert _iou(shown[1], truth1) < 0.7  # the mask stayed where the square was


def test_the_live_setting_switches_the_warp():
    stages = OutputStages(MotionGate(), ThermalGovernor(), MaskRefiner(RefineSettings()),
                          make_background(BackgroundSettings(kind=BackgroundKind.COLOR.value)))
    assert stages.warp.enabled  # on by default: it won on davis (studio bench warp)
    out = OutputThread(LatestSlot(), MaskFeed(LatestSlot()), stages, SourceInfo(), EventHub())
    out.send(cmd.SetLive(LiveSettings(warp_mask=False)))
    out.release()  # applies what was sent, as the next frame boundary would
    assert not stages.warp.enabled


def test_cam_warp_flags_reach_the_settings():
    from studio.cli.cmd_cam import build_settings
    from studio.cli.main import build_parser

    def parsed(*argv):
        return build_settings(build_parser().parse_args(["cam", "--source", "synthetic", *argv]))

    assert parsed().live.warp_mask is True
    assert parsed("--no-warp-mask").live.warp_mask is False
    assert parsed("--warp-mask").live.warp_mask is True
