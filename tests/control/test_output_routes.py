"""One owner per output: one recording route for the settings file and the GUI's button (LivePipeline.record), one
snapshot sink (LivePipeline.snapshot), mirroring by the compositor alone."""

from __future__ import annotations

import numpy as np
from live_backends import ScriptedFactory
from test_live_pipeline import pipeline, settings, wait_for

from studio.capture.synthetic import SyntheticSource
from studio.output.simple import CallbackSink


def test_recording_and_snapshots_have_one_door_each(tmp_path):
    s = settings()
    s.output.record, s.output.snapshot_dir = str(tmp_path / "from-settings.avi"), str(tmp_path / "shots")
    p, rec, _ = pipeline(s, ScriptedFactory())
    p.start()
    try:
        wait_for(lambda: rec.count() > 5)
        sinks = p.stats().sinks
        assert sinks.count("snapshot") == 1 and "recorder:from-settings.avi" in sinks
        # the button's route is the same door: the settings' recording is finished first, the setting untouched
        p.record(tmp_path / "button.avi")
        wait_for(lambda: "recorder:button.avi" in p.stats().sinks and "recorder:from-settings.avi" not in
                 p.stats().sinks, what="the recorder swapped")
        assert p.settings.output.record.endswith("from-settings.avi") and p.recorder.path.name == "button.avi"
        n = rec.count()
        wait_for(lambda: rec.count() > n + 5)
        p.record(None)
        wait_for(lambda: not any(x.startswith("recorder:") for x in p.stats().sinks), what="recording stopped")
        assert p.recorder is None
        shot = p.snapshot().result(timeout=15)
        assert shot.parent == tmp_path / "shots" and shot.is_file()
        # a changed setting goes through the same door
        s = p.settings
        s.output.record, s.output.snapshot_dir = str(tmp_path / "again.avi"), str(tmp_path / "other")
        p.apply_settings(s)
        wait_for(lambda: "recorder:again.avi" in p.stats().sinks, what="the settings' new recording")
        assert p.snapshot().result(timeout=15).parent == tmp_path / "other"
        n = rec.count()
        wait_for(lambda: rec.count() > n + 5)
    finally:
        assert p.close()
    assert sorted(f.name for f in tmp_path.glob("*.avi")) == ["again.avi", "button.avi", "from-settings.avi"]


def test_mirroring_is_done_once_for_every_sink():
    s = settings()
    s.background.kind = "none"  # transparent: the composite's colours are the frame's own
    frames = []
    p, rec, _ = pipeline(s, ScriptedFactory(), source=SyntheticSource(64, 48, 30.0, motion="still"))
    p.add_sink(CallbackSink(lambda f: frames.append((f.image[:, :, :3].copy(), f.original.copy()))))
    p.start()
    try:
        wait_for(lambda: len(frames) > 2)
        s = p.settings
        s.output.mirror = True
        p.apply_settings(s)
        wait_for(lambda: len(frames) > 2 and np.array_equal(frames[-1][0], frames[-1][1][:, ::-1]), what="mirrored")
    finally:
        assert p.close()
