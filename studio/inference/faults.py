"""What a supervised inference worker can get wrong, and how each fault is told apart.

- A mask that is not a mask (NaN or Inf, out of range: ``studio.models.processing.check_output``; an implausible shape:
  ``implausible_shape``) is dropped by the worker, counted, reported, and a run of them counts as a failure.
- A *permanent* error (the model file is missing, corrupt or fails its checksum, the runtime is not installed, the
  model uses an op the runtime cannot run) will fail the same way on every retry: ``is_permanent``. The supervisor
  stops retrying it; the headless run stops with a message and the GUI shows a banner. Everything else (a crash, a
  hang, a timeout) is *transient*: restart, fall back, retry later.
- A call that hangs cannot be killed in a thread: ``HungWorkers`` bounds how many abandoned workers (each holding a
  thread and a loaded model) may exist at once, so a backend that hangs for good costs a fixed amount, not a leak.
"""

from __future__ import annotations

import math

from studio.core.errors import BackendUnavailable, ModelError
from studio.core.kinds import EventKind
from studio.core.worker import WorkerState

# The event kinds these faults raise.
FATAL = EventKind.FATAL  # a permanent error: inference cannot run with these settings; nothing is retried
MASK_REJECTED = EventKind.MASK_REJECTED  # a model output was not a usable mask and was dropped
BACKEND_HUNG = EventKind.BACKEND_HUNG  # too many hung calls on one backend: it is not restarted again

# A model's output is normally at its input size (or a fixed fraction of it, e.g. 1/4 for some stride-4 heads); one
# side smaller than 1/16 of the input, or an aspect ratio more than 25 % off the input's, is not a mask of this frame
# (a 7x13 output for a 256x256 input was found being silently upscaled into a smear).
MIN_SIDE_FRACTION = 1 / 16
MAX_UPSCALE = 4
ASPECT_SLACK = 1.25

# This many rejected masks in a row count as one failure for the watchdog: the worker ends, and is restarted or replaced.
INVALID_IN_ROW_IS_FAILURE = 3


def implausible_shape(alpha_shape: tuple[int, ...], input_size: tuple[int, int]) -> str | None:
    """Why an HxW mask cannot be the model's answer for an input of ``input_size`` = (w, h); None when plausible."""
    h, w = alpha_shape[:2]
    iw, ih = input_size
    if h < 2 or w < 2:
        return f"a {w}x{h} mask for a {iw}x{ih} input"
    too_small = min(w / iw, h / ih) < MIN_SIDE_FRACTION
    too_big = max(w / iw, h / ih) > MAX_UPSCALE
    aspect_off = abs(math.log((w / h) / (iw / ih))) > math.log(ASPECT_SLACK) + 1.0 / min(w, h)  # + rounding
    if too_small or too_big or aspect_off:
        return f"a {w}x{h} mask for a {iw}x{ih} input"
    return None


def worker_problem(worker, started: float, now: float, timeout: float,
                   setup_timeout: float) -> tuple[str, bool] | None:
    """What is wrong with a supervised InferenceWorker: (what, whether its backend never loaded), or None."""
    if worker.state is WorkerState.FAILED:
        err = worker.error
        loaded = worker.segmenter is not None or worker.backend_label != ""
        what = f"{type(err).__name__}: {getattr(err, 'message', err)}" if err is not None else "failed"
        return what, not loaded
    if not worker.ready.is_set():
        if now - started > setup_timeout:
            return f"loading took longer than {setup_timeout:.0f} s", True
        return None
    busy = worker.busy_since
    if busy is not None and now - busy > timeout:
        return f"an inference has run for {now - busy:.1f} s (timeout {timeout:.1f} s)", False
    if worker.state is WorkerState.RUNNING and now - worker.last_heartbeat > timeout + 1.0:
        return f"no heartbeat for {now - worker.last_heartbeat:.1f} s", False
    if worker.state is WorkerState.STOPPED and not worker.stopping:
        return "the worker ended on its own", False
    return None


def is_permanent(exc: BaseException | None) -> bool:
    """True for an error that retrying cannot fix: the model file (missing, corrupt, checksum, an op the runtime lacks:
    ModelError) or the runtime (not installed, no such device: BackendUnavailable)."""
    return isinstance(exc, (ModelError, BackendUnavailable))


def is_model_problem(exc: BaseException | None) -> bool:
    """A permanent error of the model itself: no other runtime will do better (the registry's auto selection has
    already tried them all before it raises a ModelError)."""
    return isinstance(exc, ModelError)


class HungWorkers:
    """Abandoned workers still inside a backend call, per backend label ("onnxruntime/cpu").

    ``limit`` hung calls on one backend stop its restarts; ``total_limit`` across backends stops every new worker until
    one of the hung calls returns. Dead workers fall out on every look, so the counts are of live threads."""

    def __init__(self, limit: int = 2, total_limit: int = 3) -> None:
        self.limit = max(1, limit)
        self.total_limit = max(self.limit, total_limit)
        self._hung: list[tuple[str, object]] = []  # (backend label, worker)
        self.ever = 0  # how many calls have hung over the supervisor's life

    def add(self, label: str, worker) -> None:
        self._hung.append((label, worker))
        self.ever += 1

    def _prune(self) -> None:
        self._hung = [(label, w) for label, w in self._hung if w.alive]

    def count(self, label: str | None = None) -> int:
        self._prune()
        return sum(1 for lab, _ in self._hung if label is None or lab == label)

    def blocked(self, label: str) -> bool:
        """True when ``label`` may not get another worker (it has hung ``limit`` times), or nothing may."""
        return self.count(label) >= self.limit or self.count() >= self.total_limit

    def workers(self) -> list:
        self._prune()
        return [w for _, w in self._hung]


class RejectionReporter:
    """Turns the worker's count of dropped masks into events: the first of a run at once, then at most one summary
    every ``every_s`` (a backend that returns NaN 30 times a second must not flood the log or the GUI)."""

    def __init__(self, every_s: float = 5.0) -> None:
        self.every_s = every_s
        self._seen: dict[int, int] = {}  # id(worker) -> rejections already accounted for
        self._pending = 0
        self._last_event = -1e9
        self.total = 0

    def update(self, worker, now: float) -> str | None:
        """A message to report now, or None."""
        count = worker.rejected
        new = count - self._seen.get(id(worker), 0)
        if new <= 0:
            return None
        self._seen = {id(worker): count}  # only the current worker matters; a retired one cannot publish
        self.total += new
        self._pending += new
        if now - self._last_event < self.every_s:
            return None
        n, self._pending, self._last_event = self._pending, 0, now
        what = "a model output was" if n == 1 else f"{n} model outputs were"
        return f"{what} not a usable mask and dropped ({worker.last_rejection}); the picture keeps the last good mask"
