import threading
import time

import pytest

from studio.capture import CaptureThread, SyntheticSource, VideoFileSource
from studio.core.errors import SourceError
from studio.core.mailbox import LatestSlot
from studio.core.worker import WorkerState


class FlakySource:
    """A real file source that behaves like a camera being unplugged: after ``good_frames`` reads it raises, then
    refuses to open ``bad_opens`` times, then works again."""

    is_live = True

    def __init__(self, inner, good_frames=5, bad_opens=2, none_instead=False):
        self.inner = inner
        self.name = "flaky"
        self.good_frames, self.bad_opens, self.none_instead = good_frames, bad_opens, none_instead
        self.reads = 0
        self.opens = 0
        self.failed_opens = 0
        self.closes = 0
        self.broken = False

    fps = property(lambda self: self.inner.fps)
    size = property(lambda self: self.inner.size)

    def open(self):
        self.opens += 1
        if self.broken and self.failed_opens < self.bad_opens:
            self.failed_opens += 1
            raise SourceError("device vanished", hint="plug it back in")
        self.inner.open()

    def read(self):
        self.reads += 1
        if not self.broken and self.reads > self.good_frames:
            self.broken = True
            if self.none_instead:
                return None
            raise SourceError("read failed", hint="cable?")
        return self.inner.read()

    def close(self):
        self.closes += 1
        self.inner.close()


def run_until(cond, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.01)
    return False


@pytest.mark.parametrize("none_instead", [False, True], ids=["raises", "returns-none"])
def test_lost_source_is_retried_with_backoff_and_recovers(clip, none_instead):
    events = []
    flaky = FlakySource(VideoFileSource(clip, loop=True, realtime=True), none_instead=none_instead)
    cap = CaptureThread(flaky, on_event=lambda k, m: events.append((k, m)), retry_initial=0.02, retry_max=0.1)
    cap.start()
    try:
        assert run_until(lambda: cap.frames >= 15), (cap.frames, events, cap.state, cap.error)
    finally:
        assert cap.close(3.0)
    kinds = [k for k, _ in events]
    assert kinds[:2] == ["source-lost", "source-recovered"], events
    assert kinds.count("source-lost") == 1  # repeated failed retries are one loss, not one event each
    assert flaky.failed_opens == 2 and flaky.opens == 4  # first open, two refusals, the recovery
    assert cap.reconnects == 1 and not cap.lost
    assert cap.state is WorkerState.STOPPED and cap.error is None
    assert flaky.closes >= 2  # closed when lost and again at the end
    frame = cap.slot.peek()
    assert frame.index == cap.frames - 1 and frame.source == "flaky"


def test_frames_are_stamped_and_unread_ones_counted_as_dropped(clip):
    slot = LatestSlot()
    cap = CaptureThread(VideoFileSource(clip, loop=True, realtime=False), slot)
    cap.start()
    got = []
    try:
        for _ in range(5):
            f = slot.get(timeout=2.0)
            assert f is not None
            got.append(f)
        assert run_until(lambda: cap.frames > 40)
    finally:
        assert cap.close()
    assert [a.index < b.index for a, b in zip(got, got[1:])] == [True] * 4
    assert [a.t_capture <= b.t_capture for a, b in zip(got, got[1:])] == [True] * 4
    assert got[0].image.shape == (120, 160, 3) and got[0].source.startswith("file:")
    # Nobody read most frames: they were replaced in the slot, and counted.
    assert cap.dropped > 20 and cap.dropped <= cap.frames
    assert cap.fps.count == cap.frames


def test_end_of_a_file_that_does_not_loop_stops_the_thread(clip):
    events = []
    cap = CaptureThread(VideoFileSource(clip, loop=False, realtime=False), on_event=lambda k, m: events.append(k))
    cap.start()
    assert cap.join(5.0)
    assert cap.state is WorkerState.STOPPED and cap.finished
    assert cap.frames == 20 and events == ["source-finished"]
    assert cap.slot.peek().index == 19  # the last frame stays for the output thread


def test_missing_file_fails_at_once_with_the_error(tmp_path):
    events = []
    cap = CaptureThread(VideoFileSource(tmp_path / "missing.mp4"), on_event=lambda k, m: events.append(k))
    cap.start()
    assert cap.join(5.0)
    assert cap.state is WorkerState.FAILED
    assert isinstance(cap.error, SourceError) and "not found" in str(cap.error)
    assert events == []


def test_missing_camera_keeps_retrying_until_stopped():
    events = []
    from studio.capture import CameraSource

    cap = CaptureThread(CameraSource("/dev/video63"), on_event=lambda k, m: events.append((k, m)),
                        retry_initial=0.01, retry_max=30.0)
    cap.start()
    assert run_until(lambda: cap._backoff >= 1.0)  # several failed attempts, waits now growing
    assert cap.close(3.0)  # stop wakes the back-off wait
    assert cap.state is WorkerState.STOPPED
    assert [k for k, _ in events] == ["source-lost"]
    assert "hint:" in events[0][1] and cap.lost and cap.frames == 0


def test_swap_source_closes_the_old_one_on_the_capture_thread(clip):
    events = []
    closed_on = []

    class Tracked(SyntheticSource):
        def close(self):
            closed_on.append(threading.current_thread().name)

    first = Tracked(64, 48, motion="moving", realtime=True)
    cap = CaptureThread(first, on_event=lambda k, m: events.append((k, m)))
    cap.start()
    try:
        assert run_until(lambda: cap.frames >= 3)
        cap.swap_source(VideoFileSource(clip, loop=True, realtime=True))
        assert run_until(lambda: cap.slot.peek().source.startswith("file:"))
        index_after = cap.slot.peek().index
    finally:
        assert cap.close()
    assert closed_on == ["studio-capture"]
    assert ("source-changed", "file:clip.avi") in events
    assert index_after >= 3  # indices keep counting up across a swap
    assert cap.source.name == "file:clip.avi"


def test_swap_before_start_just_replaces(clip):
    cap = CaptureThread(SyntheticSource(64, 48))
    cap.swap_source(VideoFileSource(clip, loop=False, realtime=False))
    cap.start()
    assert cap.join(5.0)
    assert cap.finished and cap.frames == 20


def test_a_failing_listener_does_not_stop_capture(clip):
    def boom(kind, message):
        raise RuntimeError("listener bug")

    cap = CaptureThread(VideoFileSource(clip, loop=False, realtime=False), on_event=boom)
    cap.start()
    assert cap.join(5.0)
    assert cap.state is WorkerState.STOPPED and cap.frames == 20 and cap.error is None


@pytest.mark.slow
def test_shared_clip_through_the_capture_thread_at_its_own_rate(shared_data):
    path = sorted((shared_data / "video" / "asl").glob("*.mkv"))[0]
    cap = CaptureThread(VideoFileSource(path, loop=True, realtime=True))
    cap.start()
    try:
        assert run_until(lambda: cap.frames >= 30)
        rate = cap.fps.rate()
    finally:
        assert cap.close()
    assert 10 < rate < 60  # paced near 30 fps; wide bounds for a noisy shared machine


def test_stream_url_over_real_http_plays_and_reconnects_at_its_end(tmp_path, clip_writer):
    """A stream URL goes through CameraSource (FFmpeg). Served from loopback: when the 'stream' ends the source
    reports it as lost and the capture thread reconnects, like a dropped IP camera."""
    import functools
    import http.server

    clip_writer(tmp_path / "live.avi", frames=15)
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(tmp_path))
    handler.log_message = lambda *a, **k: None
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    events = []
    from studio.capture import CameraSource

    url = f"http://127.0.0.1:{server.server_address[1]}/live.avi"
    cap = CaptureThread(CameraSource(url), on_event=lambda k, m: events.append(k), retry_initial=0.01)
    cap.start()
    try:
        assert run_until(lambda: cap.reconnects >= 1 and cap.frames >= 20), (cap.frames, events, cap.error)
    finally:
        assert cap.close()
        server.shutdown()
        server.server_close()
        t.join(2)
    assert cap.source.size == (160, 120) and cap.source.is_live
    assert events[:2] == ["source-lost", "source-recovered"]
