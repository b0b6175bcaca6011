"""Check that SyntheticSource.render gives the same pixels as an earlier version of studio/capture/synthetic.py.

    .venv/bin/python installers/check_synthetic_same.py [COMMIT]

COMMIT (default: the version before the banded stamp, issue 12) is read with ``git show``; its render() runs on the
very scene the current source drew (the drawing code is shared), for both scenes, noise 0 and 2, every motion, frame
sizes from 40x300 (the figure cut at the left and right) to 3840x2160, and indices that put the figure partly
outside the frame. Prints one line per case and exits 1 on any differing pixel or truth mask.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
BEFORE = "370f56796932f8bc6ea561ab1d02ff753bb69f3d"
SIZES = [(40, 300), (97, 61), (640, 360), (1280, 720), (1920, 1080), (3840, 2160)]
INDICES = list(range(0, 90, 7)) + [150, 301, 777]


def old_module(commit: str):
    code = subprocess.run(["git", "show", f"{commit}:studio/capture/synthetic.py"], cwd=ROOT, check=True,
                          capture_output=True, text=True).stdout
    path = Path(tempfile.mkdtemp()) / "synthetic_before.py"
    path.write_text(code)
    spec = importlib.util.spec_from_file_location("synthetic_before", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv: list[str]) -> int:
    os.environ.setdefault("STUDIO_CONFIG_DIR", tempfile.mkdtemp())  # drawn scenes are not kept in the user's folder
    sys.path.insert(0, str(ROOT))
    from studio.capture.synthetic import SyntheticSource

    before = old_module(argv[0] if argv else BEFORE)
    failed = 0
    for width, height in SIZES:
        for scene in ("person", "product"):
            for noise in (0.0, 2.0):
                new = SyntheticSource(width, height, motion="moving", noise=noise, realtime=False, scene=scene)
                new.open()
                for motion in ("moving", "fast", "still") if width < 3840 else ("moving",):
                    new.motion = motion
                    old = before.SyntheticSource(width, height, motion=motion, noise=noise, realtime=False,
                                                 scene=scene)
                    old._set_sprite(new._sprite, new._alpha)  # the same drawing, not drawn twice
                    old._backgrounds, old._label = new._backgrounds, new._label
                    bad, outside = [], 0
                    for i in INDICES:
                        x, y = new.position(i)
                        sh, sw = new._sprite.shape[:2]
                        outside += x < 0 or y < 0 or x + sw > width or y + sh > height
                        if not (np.array_equal(new.render(i), old.render(i))
                                and np.array_equal(new.truth_mask(i), old.truth_mask(i))):
                            bad.append(i)
                    failed += bool(bad)
                    print(f"{width}x{height} {scene:7} noise {noise:g} {motion:6} {len(INDICES)} frames "
                          f"({outside} partly outside): {'DIFFERENT at ' + str(bad) if bad else 'same'}")
    print("FAILED" if failed else "all the same")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
