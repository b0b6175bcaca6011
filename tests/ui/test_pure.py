"""The UI's plain logic: file names and formats for kiosk shots, stats formatting, event levels, --source parsing."""

from __future__ import annotations

import types

import cv2
import numpy as np
import pytest

from studio.config import Settings
from studio.ui.app import source_settings_for
from studio.ui.main_window import event_level
from studio.ui.panels.stats import stage_rows, stage_table, stats_values
from studio.ui.shots import Shot, ShotSaveError, encode, over_colour, safe_stem, save_shot, target_path


def test_safe_stem_keeps_what_a_file_name_can_hold():
    assert safe_stem("  MUG 0042 / blue ") == "MUG-0042--blue"
    assert safe_stem("../../etc/passwd") == "etcpasswd"
    assert safe_stem("???") == "shot"


def test_target_path_never_overwrites(tmp_path):
    first = target_path(tmp_path, "sku1", "png")
    assert first.name == "sku1.png"
    first.write_bytes(b"x")
    second = target_path(tmp_path, "sku1", "png")
    assert second.name == "sku1-2.png"
    assert target_path(tmp_path, "", "jpg").name.startswith("shot-")


def _shot(sku: str = "A1") -> Shot:
    from studio.compose.blend import to_rgba

    image = np.zeros((40, 60, 3), np.uint8)
    image[:] = (10, 30, 200)  # BGR
    alpha = np.zeros((40, 60), np.float32)
    alpha[10:30, 20:40] = 1.0
    return Shot(image, alpha, to_rgba(image, alpha), sku)


@pytest.mark.parametrize("fmt, channels", [("png", 4), ("webp", 4), ("jpg", 3)])
def test_encode_presets(fmt, channels):
    data = encode(_shot(), fmt)
    img = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    assert img.shape[2] == channels
    if fmt == "jpg":  # transparent parts become white
        assert img[0, 0].min() > 240
    else:
        assert img[0, 0, 3] == 0 and img[20, 30, 3] == 255


def test_over_colour_blends_by_alpha():
    rgba = np.array([[[100, 100, 100, 128]]], np.uint8)
    assert over_colour(rgba, (255, 255, 255))[0, 0, 0] == pytest.approx(177, abs=1)


def test_save_shot_failure_is_a_clear_error_and_leaves_nothing(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the folder should be")
    shot = _shot("A1")
    with pytest.raises(ShotSaveError) as exc:
        save_shot(shot, blocker / "shots", "png")
    with pytest.raises(ShotSaveError):
        save_shot(shot, tmp_path, "gif")
    assert "press Save again" in exc.value.hint
    assert shot.saved_to is None
    path = save_shot(shot, tmp_path / "ok", "png")
    assert path.name == "A1.png" and shot.saved_to == path


def test_stats_values_without_sensors_say_unavailable():
    stats = types.SimpleNamespace(capture_fps=30.0, inference_fps=12.5, output_fps=29.9,
                                  latency_ms={50: 31.0, 95: 48.2, 99: 60.0}, infer_ms=9.5, mask_ms=14.0,
                                  tier="moderate", motion_level=0.01, telemetry=None)
    v = stats_values(stats, display_fps=29.0)
    assert v["output_fps"] == ("29.9 fps", 29.9)
    assert v["latency_p95"][0] == "48.2 ms"
    assert v["cpu_temp"] == ("unavailable", None)
    assert v["gpu_temp"] == ("unavailable", None)
    assert "mask 14.0 ms" in v["infer_ms"][0]
    tel = types.SimpleNamespace(cpu_temp_c=61.0, gpu_temp_c=None, rss_mb=420.0, cpu_percent=73.0)
    v = stats_values(dataclass_like(stats, telemetry=tel))
    assert v["cpu_temp"][0] == "61 °C" and v["gpu_temp"][0] == "unavailable" and v["cpu"][0] == "73 %"


def test_stage_breakdown_lists_every_stage_in_order_with_its_sum():
    stats = types.SimpleNamespace(stages_ms={"capture": {50: 0.2, 95: 0.3}, "refine": {50: 5.0, 95: 7.5},
                                             "sinks": {50: float("nan"), 95: float("nan")}})
    assert stage_rows(stats) == [("hand-off", 0.2, 0.3), ("refine mask", 5.0, 7.5), ("outputs", None, None)]
    assert "refine mask" in stage_table(stats) and "—" in stage_table(stats)
    stats.stages_ms.pop("sinks")
    assert "<i>5.2</i>" in stage_table(stats)
    assert stage_table(types.SimpleNamespace(stages_ms={})) == ""
    assert "after the frame" not in stage_table(stats)
    stats.after_ms = {50: 4.8, 95: 7.7}  # split frames: work done once a frame is out, outside the latency
    table = stage_table(stats)
    assert "after the frame, for the next" in table and "<i>7.7</i>" in table and "<i>5.2</i>" in table


def test_alignment_figures_and_state_in_words():
    from studio.ui.panels.align import align_text

    stats = types.SimpleNamespace(aligned_share=0.87, mask_lag_frames={50: 0.0, 95: 1.0}, mask_ms={50: 21.4},
                                  align=True, align_reason="", latency_budget_ms=33.3, telemetry=None)
    assert stats_values(stats)["aligned"] == ("87 %, lag 0/1, age 21 ms", 87.0)
    assert align_text(stats) == "on: budget 33 ms"
    off = dataclass_like(stats, align=False, align_reason="a frame would take 190 ms, the model 180 ms of it")
    assert align_text(off) == "off: a frame would take 190 ms, the model 180 ms of it (budget 33 ms)"
    assert stats_values(dataclass_like(stats, aligned_share=float("nan")))["aligned"] == ("—", None)
    assert align_text(types.SimpleNamespace()) == "—"


def dataclass_like(ns, **changes):
    d = dict(vars(ns))
    d.update(changes)
    return types.SimpleNamespace(**d)


def test_event_levels():
    from studio.core.kinds import EventKind
    from studio.ui.main_window import EVENT_LEVELS

    assert set(EVENT_LEVELS) == set(EventKind), "every event kind needs a banner level"
    assert event_level("error") == "error"
    assert event_level("vcam-failed") == "error"
    assert event_level("source-lost") == "warning"
    assert event_level("source-recovered") == "info"
    assert event_level("backend-fallback") == "warning"
    assert event_level("model-loaded") == "info"
    assert event_level("no-such-kind") == "info"


def test_source_option():
    s = Settings()
    assert source_settings_for(s, "demo").source.kind == "synthetic"
    assert source_settings_for(s, "synthetic:fast").source.uri == "fast"
    got = source_settings_for(s, "clip.mp4").source
    assert (got.kind, got.uri) == ("auto", "clip.mp4")
    assert source_settings_for(s, None) is s


def test_the_crashing_binding_is_refused_with_a_hint():
    from studio.core.errors import StudioError
    from studio.ui.compat import check_binding

    with pytest.raises(StudioError) as exc:
        check_binding("6.12.0", (3, 11))
    assert "6.11.3" in exc.value.hint
    check_binding("6.12.0", (3, 12))
    check_binding("6.11.3", (3, 11))
    check_binding()  # the binding installed in this venv is usable


def test_subject_crop_frames_the_product_for_thumbnails():
    from studio.ui.kiosk import subject_crop

    rgba = np.zeros((720, 1280, 4), np.uint8)
    rgba[200:600, 600:700, 3] = 255  # a tall product in the middle
    crop = subject_crop(rgba)
    assert crop.shape[1] / crop.shape[0] == pytest.approx(4 / 3, abs=0.01)
    assert crop[..., 3].sum() == rgba[..., 3].sum()  # all of the product is kept
    assert crop.shape[0] < 720 * 0.8  # and much of the empty frame is not
    assert subject_crop(np.zeros((40, 60, 4), np.uint8)).shape == (40, 60, 4)  # nothing opaque: all of it


def test_source_demo_is_the_scene_shown_without_a_camera():
    from studio.capture.synthetic import demo_source

    s = source_settings_for(Settings(), "demo").source
    assert (s.kind, s.uri) == ("synthetic", demo_source().motion)
