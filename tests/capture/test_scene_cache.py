"""The drawn person scene is kept on disk and loaded back: the same frames, drawn once per size and drawing code."""

from __future__ import annotations

import numpy as np

from studio.capture.scenes import cache as scene_cache
from studio.capture.synthetic import SyntheticSource
from studio.core import paths


def _frames(noise: float = 2.0, n: int = 3) -> list[np.ndarray]:
    src = SyntheticSource(320, 180, noise=noise, realtime=False)
    src.open()
    try:
        return [src.read() for _ in range(n)] + [src.truth_mask()]
    finally:
        src.close()


def test_a_kept_scene_gives_the_same_frames_and_truth(monkeypatch):
    drawn = _frames()
    kept = sorted((paths.engines_dir() / "scenes").glob("person-320x180-*.npz"))
    assert len(kept) == 1
    calls = []
    monkeypatch.setattr(SyntheticSource, "_draw", lambda self: calls.append(self) or {})
    loaded = _frames()
    assert calls == []  # loaded, not drawn
    for a, b in zip(drawn, loaded):
        assert np.array_equal(a, b)


def test_other_parameters_and_a_damaged_file_are_drawn_again():
    _frames(noise=2.0)
    _frames(noise=0.0)
    kept = sorted((paths.engines_dir() / "scenes").glob("person-320x180-*.npz"))
    assert len(kept) == 2  # the noise is part of the key
    first = _frames(noise=0.0)
    for f in kept:
        f.write_bytes(b"not a scene")
    assert all(np.array_equal(a, b) for a, b in zip(first, _frames(noise=0.0)))  # drawn again, same pixels
    assert scene_cache.load(kept[0]) is not None  # and kept again


def test_big_scenes_and_unreadable_code_are_not_kept(monkeypatch):
    assert scene_cache.scene_path(3840, 2160, 0, 2.0) is None
    monkeypatch.setattr(scene_cache, "_code_digest", lambda: None)
    assert scene_cache.scene_path(320, 180, 0, 2.0) is None


def test_a_cache_that_cannot_be_written_costs_only_the_keeping(tmp_path, monkeypatch):
    blocker = tmp_path / "a-file"
    blocker.write_bytes(b"")
    monkeypatch.setenv("STUDIO_ENGINES_DIR", str(blocker / "engines"))  # not a folder, even for root
    frames = _frames()  # nothing raised: drawn and used, not kept
    assert frames[0].shape == (180, 320, 3)
    assert scene_cache.load(scene_cache.scene_path(320, 180, 0, 2.0)) is None
