"""InferenceWorker: the thread that owns a backend, takes the newest gated frame and publishes its mask.

The backend (a Segmenter around it) is built by a factory on the worker's own thread (``_setup``), so a runtime that binds to the creating
thread (some GPU contexts do) is used where it was made, and a slow model load never blocks the caller.

A worker can be *abandoned* by the watchdog when an inference hangs: Python cannot kill a thread, so the abandoned one
stays inside ``backend.infer`` until that call returns; ``abandon()`` guarantees that it never publishes a mask
afterwards and that it ends as soon as the call comes back. A worker can also start *inactive* (a candidate for a
model or backend swap): it builds its backend and then waits, taking no jobs, until it is promoted with ``activate()``.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from dataclasses import dataclass
from typing import Callable, Sequence

from studio.core.frame import Frame, Mask
from studio.core.mailbox import LatestSlot
from studio.core.worker import Worker
from studio.inference.faults import INVALID_IN_ROW_IS_FAILURE, implausible_shape
from studio.inference.segmenter import Segmentation, Segmenter
from studio.models.processing import InvalidModelOutput

log = logging.getLogger(__name__)

_ids = itertools.count(1)


@dataclass(slots=True)
class InferenceJob:
    """A frame the motion gate chose, with the tier it was chosen in (counted per tier when it completes)."""

    frame: Frame
    tier: str = "fast"


@dataclass(slots=True)
class InferenceResult:
    job: InferenceJob
    mask: Mask
    segmentation: Segmentation


class InferenceWorker(Worker):
    """One backend, one thread. ``on_result`` is called on this thread after each published mask."""

    POLL_S = 0.1  # idle wake-up: keeps the heartbeat fresh while no job comes

    def __init__(self, segmenter_factory: Callable[[], Segmenter], jobs: LatestSlot[InferenceJob],
                 masks: LatestSlot[Mask], *, active: bool = True,
                 backlog: Sequence[InferenceJob] = (), on_result: Callable[[InferenceResult], None] | None = None,
                 label: str = "") -> None:
        super().__init__(f"inference-{next(_ids)}")
        self._factory = segmenter_factory
        self._jobs = jobs
        self._masks = masks
        self._on_result = on_result
        self._backlog = list(backlog)  # resubmitted after a restart, oldest first
        self._seq_at_start = jobs.sequence
        self._active = threading.Event()
        if active:
            self._active.set()
        self._publish_lock = threading.Lock()
        self._abandoned = False
        self.requested = label
        self.max_area: int | None = None  # set by the thermal governor through the supervisor
        self.segmenter: Segmenter | None = None
        self.backend_label = ""
        self.ready = threading.Event()  # set once the backend is loaded (or setup failed: see .error)
        self.busy_since: float | None = None  # perf_counter when the current inference began
        self.rejected = 0  # model outputs dropped as not a mask (see studio.inference.faults)
        self.rejected_in_row = 0
        self.last_rejection = ""

    # -- control from other threads ----------------------------------------------------------------------------
    def activate(self) -> None:
        self._active.set()

    def abandon(self) -> None:
        """Never publish again; end as soon as the current call returns. Safe from any thread.

        A backend with a ``cancel()`` method (optional; callable from any thread) is asked to end its current call,
        so a runtime that can cancel does not leave a thread and a loaded model behind."""
        with self._publish_lock:
            self._abandoned = True
        self.stop()
        segmenter = self.segmenter
        cancel = getattr(segmenter.backend, "cancel", None) if segmenter is not None else None
        if cancel is not None and self.busy_since is not None:
            try:
                cancel()
            except Exception:  # noqa: BLE001 - cancelling is best effort; the worker stays abandoned either way
                log.warning("%s: cancelling the backend call failed", self.name, exc_info=True)

    @property
    def abandoned(self) -> bool:
        return self._abandoned

    def _wake(self) -> None:
        self._active.set()  # an inactive candidate that is stopped must not sit in its wait

    # -- thread ------------------------------------------------------------------------------------------------
    def _setup(self) -> None:
        try:
            self.segmenter = self._factory()
            backend = self.segmenter.backend
            info = getattr(backend, "info", None)
            self.backend_label = info.label() if info is not None else getattr(backend, "name", type(backend).__name__)
        finally:
            self.ready.set()

    def _run_once(self) -> bool:
        if not self._active.is_set():
            self._active.wait(self.POLL_S)
            return True
        if self.stopping:
            return False
        if self._backlog and self._jobs.sequence > self._seq_at_start:
            self._backlog.clear()  # a newer frame came: the resubmitted ones have nothing left to give
        if self._backlog:
            job = self._backlog.pop(0)
        else:
            job = self._jobs.get(timeout=self.POLL_S)
            if job is None:
                return True
            if self.stopping:
                # Retired while waiting (a swap or a stop): hand the frame back to whoever takes over, unless a
                # newer one has come meanwhile.
                seq = self._jobs.sequence
                if self._jobs.peek() is job and self._jobs.sequence == seq:
                    self._jobs.put(job)
                return False
        return self._segment(job)

    def _segment(self, job: InferenceJob) -> bool:
        """Run one job and publish its mask; False when this worker was abandoned meanwhile (it then ends)."""
        segmenter = self.segmenter
        segmenter.max_area = self.max_area
        self.busy_since = time.perf_counter()
        try:
            seg = segmenter.segment(job.frame.image)
            bad = implausible_shape(seg.alpha.shape, seg.input_size)
            if bad is not None:
                raise InvalidModelOutput(f"the model output is {bad}")
        except InvalidModelOutput as exc:
            # Dropped before publishing: the output keeps the last good mask. The watchdog reads the counts (a run
            # of these is a failure) and reports them; a NaN that reached the smoothing would black out the picture.
            self.rejected += 1
            self.rejected_in_row += 1
            self.last_rejection = exc.message
            if self.rejected_in_row >= INVALID_IN_ROW_IS_FAILURE and not self._abandoned:
                # A run of them is a failure: this worker ends (FAILED) and the watchdog restarts or replaces it.
                raise InvalidModelOutput(f"{self.rejected_in_row} outputs in a row were not a mask "
                                         f"({exc.message})") from None
            return not self._abandoned
        except Exception:
            if self._abandoned:  # a cancelled or abandoned call: nobody waits for it, nothing to report
                return False
            raise
        finally:
            self.busy_since = None
        self.rejected_in_row = 0
        t_ready = time.perf_counter()
        mask = Mask(seg.alpha, job.frame.index, job.frame.t_capture, t_ready, seg.input_size, seg.total_seconds,
                    self.backend_label)
        with self._publish_lock:
            if self._abandoned:
                return False
            self._masks.put(mask)
        if self._on_result is not None:
            self._on_result(InferenceResult(job, mask, seg))
        return True

    def _teardown(self) -> None:
        if self.segmenter is not None:
            try:
                self.segmenter.close()
            finally:
                self.segmenter = None
