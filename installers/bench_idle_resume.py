"""How fast an idle pipeline comes back when a reader opens the virtual camera (issue 12: "within a second").

This box has no v4l2loopback device, so a plain file stands in for /dev/videoN (the same writer sink as
tests/control/test_idle.py: it opens the file and writes each frame to it); the reader watch sees this script open
it through inotify as it would see a video call open the device. Per round: wait until the pipeline idles, measure
the process's CPU over 2 s of idling, open the
file, and time (a) until the output takes frames again (the stats' idle flag is down), (b) until a fresh frame (not
the slate) reaches the camera, (c) until a new mask is made. The real selfie model on ONNX Runtime, a synthetic source.

Usage: flock /tmp/studio-bench.lock .venv/bin/python installers/bench_idle_resume.py [--rounds 3] [--release]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from studio.config.settings import Settings  # noqa: E402
from studio.control.pipeline import LivePipeline  # noqa: E402
from studio.control.sink_set import VCAM  # noqa: E402


class FileCamera:
    name = VCAM

    def __init__(self, path: Path) -> None:
        self.path, self._file, self.last_index = str(path), None, -1

    @property
    def opened_device(self):
        return None if self._file is None else self.path

    def open(self, width, height, fps) -> None:
        self.close()
        self._file = open(self.path, "wb", buffering=0)

    def write(self, frame) -> None:
        self._file.seek(0)
        self._file.write(frame.image[0].tobytes())
        self.last_index = frame.frame_index

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def until(cond, timeout: float = 30.0) -> float:
    t0 = time.perf_counter()
    while not cond():
        if time.perf_counter() - t0 > timeout:
            raise SystemExit("timed out (the box is very busy, or a bug)")
        time.sleep(0.002)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--release", action="store_true", help="live.release_camera_when_idle (the source reopens)")
    args = ap.parse_args()
    s = Settings()
    s.source.kind, s.source.uri, s.source.width, s.source.height, s.source.fps = "synthetic", "moving", 1280, 720, 30.0
    s.inference.model, s.inference.backend, s.inference.device = "selfie", "onnxruntime", "cpu"
    s.live.release_camera_when_idle = args.release
    with tempfile.TemporaryDirectory() as tmp:
        node = Path(tmp) / "video42"
        node.touch()
        camera = FileCamera(node)
        p = LivePipeline(s, sinks=[camera], telemetry=False)
        p.start()
        rows = []
        try:
            for _ in range(args.rounds):
                until(lambda: p.stats().idle)
                cpu0, t0 = time.process_time(), time.perf_counter()
                time.sleep(2.0)  # idle: a slate or two
                idle_cpu = (time.process_time() - cpu0) / (time.perf_counter() - t0)
                slate, masks = camera.last_index, p.stats().inferences
                with open(node, "rb"):
                    t0 = time.perf_counter()
                    until(lambda: not p.stats().idle)
                    awake = time.perf_counter() - t0
                    until(lambda: camera.last_index != slate)
                    frame = time.perf_counter() - t0
                    until(lambda: p.stats().inferences > masks)
                    mask = time.perf_counter() - t0
                rows.append((awake, frame, mask))
                print(f"idle CPU {idle_cpu:.3f} of a core; resume: awake {awake * 1000:6.1f} ms, first fresh frame {frame * 1000:6.1f} ms, "
                      f"first new mask {mask * 1000:6.1f} ms")
        finally:
            p.close(10.0)
    for i, what in enumerate(("awake", "first fresh frame", "first new mask")):
        print(f"median {what}: {statistics.median(r[i] for r in rows) * 1000:.1f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
