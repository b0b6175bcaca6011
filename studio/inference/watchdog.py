"""InferenceSupervisor: keeps one InferenceWorker serving masks, whatever the backend does.

- A watchdog thread checks the worker every ``TICK_S``: an inference that raised, or one running longer than
  ``timeout_s`` (default 5 s), gets a soft restart: the worker is abandoned (a hung thread cannot be killed; it is
  made unable to publish and ends when its call returns) and a fresh worker with a fresh backend takes over. The last
  three gated frames are resubmitted to it, so a mask follows the restart quickly.
- ``restarts_before_fallback`` failures in a row on one (backend, device) move down the fallback chain
  (``studio.inference.registry.fallback_chain``; studio.inference.fallback keeps the place on it); a backend that
  cannot even load moves down at once. When the chain is exhausted an error event says so, and the whole chain is
  retried after ``retry_s``. A permanent error (studio.inference.faults) is not retried: a FATAL event says why.
  At most ``max_hung`` abandoned calls per backend: then it is not restarted again (a BACKEND_HUNG event).
- A model or backend change builds the new worker first (inactive, its backend loading on its own thread) while the
  old one keeps serving, then swaps them in one step.
- Output never waits for any of this: it peeks at ``masks`` and keeps the last good mask meanwhile.

Events go to ``on_event(kind, message, hint)`` with kinds "backend-restart", "backend-fallback", "model-loaded",
"error", "warning", "fatal", "backend-hung", "mask-rejected"; it is called on the watchdog thread.
"""

from __future__ import annotations

import collections
import dataclasses
import logging
import math
import statistics
import threading
import time
from typing import Callable

from studio.config.settings import InferenceSettings
from studio.core.frame import Mask
from studio.core.kinds import EventKind
from studio.core.mailbox import LatestSlot
from studio.core.stats import LatencyWindow, RateMeter
from studio.core.worker import WorkerState
from studio.inference.base import BackendFactory
from studio.inference.fallback import FallbackPlan, default_chain
from studio.inference.faults import (BACKEND_HUNG, FATAL, MASK_REJECTED, HungWorkers, RejectionReporter,
                                     is_model_problem, is_permanent, worker_problem)
from studio.inference.open_model import open_segmenter
from studio.inference.segmenter import Segmenter
from studio.inference.supervisor_parts import InferenceStatus, Watchdog
from studio.inference.worker import InferenceJob, InferenceResult, InferenceWorker
from studio.models.spec import ModelSpec

log = logging.getLogger(__name__)
# Kinds the watchdog logs as warnings (the rest are info): the user should hear about these in a log too.
_WARN_KINDS = frozenset({EventKind.ERROR, EventKind.WARNING, EventKind.BACKEND_RESTART, EventKind.BACKEND_FALLBACK,
                         EventKind.FATAL, EventKind.BACKEND_HUNG, EventKind.MASK_REJECTED})

EventFn = Callable[[str, str, str], None]
WORK_WINDOW = 15  # calls in the work-time median: half a second of a 30 fps stream


class InferenceSupervisor:
    TICK_S = 0.05

    def __init__(self, settings: InferenceSettings, *, factory: BackendFactory | None = None,
                 spec_for: Callable[[str], ModelSpec] | None = None,
                 chain: Callable[[str, str], list[tuple[str, str]]] | None = None,
                 on_event: EventFn | None = None, restarts_before_fallback: int = 2, retry_s: float = 30.0,
                 setup_timeout_s: float = 120.0, max_hung: int = 2) -> None:
        self._factory = factory  # None: the backend registry (see open_segmenter)
        self._spec_for = spec_for or _registry_spec
        self._chain_for = chain or default_chain
        self._on_event = on_event or (lambda kind, msg, hint: None)
        self.restarts_before_fallback = max(1, restarts_before_fallback)
        self.retry_s = retry_s
        self.setup_timeout_s = setup_timeout_s
        self.jobs: LatestSlot[InferenceJob] = LatestSlot()
        self.masks: LatestSlot[Mask] = LatestSlot()
        self._lock = threading.RLock()
        self._recent: collections.deque[InferenceJob] = collections.deque(maxlen=3)
        self._plan = self._make_plan(settings)  # raises ModelError for an unknown model, on the caller's thread
        self._current: InferenceWorker | None = None
        self._current_started = 0.0
        self._candidate: tuple[InferenceWorker, FallbackPlan, float] | None = None
        self._retired: list[InferenceWorker] = []  # stopped or abandoned, maybe still inside a call
        self._retry_at: float | None = None
        self._max_area: int | None = None
        self._watchdog: Watchdog | None = None
        self._stopped = False
        self._announced: set[int] = set()
        # Hung calls cannot be killed: at most max_hung per backend, max_hung + 1 in all (see faults.HungWorkers).
        self._hung = HungWorkers(max_hung, max_hung + 1)
        self._rejections = RejectionReporter()
        self._fatal = ""  # a permanent error ended inference: nothing is restarted or retried
        # stats
        self._infer = LatencyWindow(240)
        self._total = LatencyWindow(240)
        # The current worker's recent work (pre + infer + post), for the output's mask alignment: a short window,
        # started afresh with each worker, so a swapped model or a restarted backend is judged by its own calls.
        self._work: collections.deque[float] = collections.deque(maxlen=WORK_WINDOW)
        self._work_of: InferenceWorker | None = None
        self._rate = RateMeter(2.0)
        self._per_tier: collections.Counter[str] = collections.Counter()
        self._inferences = 0
        self._input_size: tuple[int, int] | None = None
        self.restarts = 0
        self.fallbacks = 0

    # -- plans and workers -------------------------------------------------------------------------------------
    def _make_plan(self, settings: InferenceSettings) -> FallbackPlan:
        spec = self._spec_for(settings.model)
        return FallbackPlan(dataclasses.replace(settings), spec, [(settings.backend, settings.device)],
                            self._chain_for)

    def _spawn(self, plan: FallbackPlan, *, active: bool, backlog=()) -> InferenceWorker:
        spec, (backend, device), area = plan.spec, plan.backend, plan.settings.target_area
        factory = self._factory

        def build() -> Segmenter:
            return open_segmenter(spec, backend, device, target_area=area, factory=factory)

        holder: list[InferenceWorker] = []
        worker = InferenceWorker(build, self.jobs, self.masks, active=active, backlog=backlog,
                                 on_result=lambda result: self._on_result(holder[0], result), label=plan.label())
        holder.append(worker)
        worker.max_area = self._max_area
        worker.start()
        return worker

    def _on_result(self, worker: InferenceWorker, result: InferenceResult) -> None:
        seg = result.segmentation
        with self._lock:
            if worker is self._current:
                self._plan.failures = 0  # "failures in a row": a good inference ends the row
            self._infer.add(seg.infer_seconds)
            self._total.add(seg.total_seconds)
            if worker is not self._work_of:
                self._work_of = worker
                self._work.clear()
            self._work.append(seg.total_seconds)
            self._rate.tick()
            self._per_tier[result.job.tier] += 1
            self._inferences += 1
            self._input_size = seg.input_size

    # -- public API --------------------------------------------------------------------------------------------
    def start(self) -> None:
        with self._lock:
            if self._watchdog is not None:
                raise RuntimeError("inference supervisor already started")
            self._current = self._spawn(self._plan, active=True)
            self._current_started = time.perf_counter()
            self._watchdog = Watchdog(self.check, self.TICK_S)
            self._watchdog.start()

    def submit(self, job: InferenceJob) -> None:
        """Offer a gated frame (latest wins); never blocks."""
        with self._lock:
            self._recent.append(job)
        self.jobs.put(job)

    def recent_work_s(self) -> float:
        """The median of the newest worker's last ``WORK_WINDOW`` calls (pre + infer + post, seconds; NaN before
        its first mask). A median, so one call slowed by a busy box does not switch mask alignment off."""
        with self._lock:
            return statistics.median(self._work) if self._work else math.nan

    def set_max_area(self, area: int | None) -> None:
        with self._lock:
            self._max_area = area
            for w in (self._current, self._candidate[0] if self._candidate else None):
                if w is not None:
                    w.max_area = area

    def apply(self, settings: InferenceSettings) -> bool:
        """Take new inference settings; True when a swap was started (model, backend, device or target area)."""
        with self._lock:
            cur = self._candidate[1].settings if self._candidate else self._plan.settings
            self._plan.settings.timeout_s = settings.timeout_s
            if (settings.model, settings.backend, settings.device, settings.target_area) == \
                    (cur.model, cur.backend, cur.device, cur.target_area):
                return False
            plan = self._make_plan(settings)
            if self._candidate is not None:
                self._retire(self._candidate[0], abandon=True)
            if self._watchdog is None:  # not started: just replace the plan
                self._plan = plan
                return True
            self._candidate = (self._spawn(plan, active=False), plan, time.perf_counter())
            return True

    def status(self) -> InferenceStatus:
        with self._lock:
            cur = self._current
            loading = cur is None or not cur.ready.is_set() or self._candidate is not None
            return InferenceStatus(
                model=self._plan.spec.name, requested=self._plan.label(),
                backend=cur.backend_label if cur is not None else "", loading=loading,
                input_size=self._input_size, infer_ms_p50=self._infer.percentiles((50,))[50],
                total_ms_p50=self._total.percentiles((50,))[50], inference_fps=self._rate.rate(),
                inferences=self._inferences, per_tier=dict(self._per_tier), restarts=self.restarts,
                fallbacks=self.fallbacks, failed=self._retry_at is not None or bool(self._fatal),
                rejected=self._rejections.total, hung=self._hung.count(), fatal=self._fatal)

    @property
    def fatal(self) -> str:
        """The permanent error that ended inference ("" while none has): a FATAL event said it once."""
        return self._fatal

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            if self._watchdog is not None:
                self._watchdog.stop()
            for w in (self._current, self._candidate[0] if self._candidate else None):
                if w is not None:
                    w.abandon()  # no mask is wanted any more; a backend that can cancel its call ends it now
        self.jobs.close()

    ABANDONED_GRACE_S = 1.0

    def join(self, timeout: float = 5.0) -> bool:
        """Wait for every thread; False when one is still running. An abandoned worker may sit in a call that never
        returns (Python cannot end a thread): it gets ``ABANDONED_GRACE_S`` to come back from a cancelled call, then
        it is left behind (a daemon thread that closes its backend if the call ever returns), so shutting down never
        waits the full timeout on a hung backend."""
        deadline = time.monotonic() + timeout
        with self._lock:
            workers = [self._watchdog, self._current, self._candidate[0] if self._candidate else None]
            retired = list(self._retired)
        ok = True
        for w in workers:
            if w is not None and not w.join(max(0.0, deadline - time.monotonic())):
                log.warning("%s did not end within %.1f s (a backend call that does not return?)", w.name, timeout)
                ok = False
        grace = min(deadline, time.monotonic() + self.ABANDONED_GRACE_S)
        left = [w.name for w in retired if not w.join(max(0.0, grace - time.monotonic()))]
        if left:
            log.warning("left behind inside backend calls that never returned: %s", ", ".join(left))
            ok = False
        return ok

    def close(self, timeout: float = 5.0) -> bool:
        self.stop()
        return self.join(timeout)

    @property
    def workers(self) -> list[InferenceWorker]:
        """Every inference worker this supervisor made that may still be alive (for tests and diagnostics)."""
        with self._lock:
            ws = [self._current, self._candidate[0] if self._candidate else None, *self._retired]
        return [w for w in ws if w is not None]

    # -- the watchdog ------------------------------------------------------------------------------------------
    def _retire(self, worker: InferenceWorker, *, abandon: bool) -> None:
        if abandon:
            worker.abandon()
        else:
            worker.stop()
        self._retired.append(worker)
        self._retired = [w for w in self._retired if w.alive or w is worker]

    def _emit(self, kind: str, message: str, hint: str = "") -> None:
        log.log(logging.WARNING if kind in _WARN_KINDS else logging.INFO, "%s: %s", kind, message)
        try:
            self._on_event(kind, message, hint)
        except Exception:  # noqa: BLE001 - a subscriber's bug must not stop the watchdog
            log.exception("event callback failed")

    def check(self, now: float) -> None:
        """One watchdog pass; public so tests can drive it, but normally called by the watchdog thread."""
        with self._lock:
            if self._stopped:
                return
            self._check_candidate(now)
            self._check_current(now)

    def _problem(self, worker: InferenceWorker, started: float, now: float) -> tuple[str, bool] | None:
        return worker_problem(worker, started, now, self._plan.settings.timeout_s, self.setup_timeout_s)

    def _check_current(self, now: float) -> None:
        cur = self._current
        if cur is None:
            if self._retry_at is not None and now >= self._retry_at:
                if self._hung.blocked(f"{self._plan.chain[0][0]}/{self._plan.chain[0][1]}"):
                    self._retry_at = now + self.retry_s  # its hung calls have not returned: another would hang too
                    return
                self._retry_at = None
                self._plan.pos, self._plan.failures, self._plan.extended = 0, 0, False
                self._plan.transient = False
                del self._plan.chain[1:]
                self._emit(EventKind.INFO, f"retrying inference on {self._plan.label()}")
                self._restart(now, backlog=list(self._recent))
            return
        if cur.ready.is_set() and cur.segmenter is not None and id(cur) not in self._announced:
            self._announced.add(id(cur))
            self._emit(EventKind.MODEL_LOADED, f"{self._plan.spec.name} on {cur.backend_label}")
        rejected = self._rejections.update(cur, now)
        if rejected:
            self._emit(MASK_REJECTED, rejected, "a broken runtime, precision or driver; several in a row restart "
                                                "the backend, and a backend that keeps doing it is replaced")
        problem = self._problem(cur, self._current_started, now)
        if problem is None:
            return
        what, never_loaded = problem
        plan = self._plan
        label, err = plan.label(), cur.error if cur.state is WorkerState.FAILED else None
        hung = cur.busy_since is not None or (cur.alive and not cur.ready.is_set())
        self._retire(cur, abandon=True)
        self._current = None
        if hung:
            self._hung.add(label, cur)
        permanent = never_loaded and is_permanent(err)
        if permanent and is_model_problem(err):
            return self._fail_for_good(err)  # no runtime will read a missing or broken model file
        plan.transient = plan.transient or not permanent
        hung_out = hung and self._hung.blocked(label)
        plan.failures = self.restarts_before_fallback if never_loaded or hung_out else plan.failures + 1
        if plan.failures >= self.restarts_before_fallback:
            if plan.has_next():
                failed = plan.label()
                plan.pos += 1
                plan.failures = 0
                self.fallbacks += 1
                self._emit(EventKind.BACKEND_FALLBACK, f"{plan.spec.name} on {failed} failed ({what}); falling back to "
                           f"{plan.label()}", "quality or speed may change; see the log for the first error")
            elif not plan.transient:
                return self._fail_for_good(err)  # every backend on the chain failed for good
            elif not hung_out:
                self._retry_at = now + self.retry_s
                self._emit(EventKind.ERROR, f"inference failed on every backend for {plan.spec.name} ({what})",
                           f"the picture keeps the last mask; retrying in {self.retry_s:.0f} s. Check the model file "
                           "and the runtimes (`studio models verify`)")
                return
        else:
            self.restarts += 1
            self._emit(EventKind.BACKEND_RESTART, f"{plan.spec.name} on {plan.label()}: {what}; restarting the backend")
        if self._hung.blocked(plan.label()):  # another worker would hang too, or too many threads hang already
            self._retry_at = now + self.retry_s
            self._emit(BACKEND_HUNG, f"{plan.spec.name}: {self._hung.count()} backend calls hung and never returned; "
                       "not starting another (each holds a thread and a loaded model)",
                       f"the picture keeps the last mask; retried in {self.retry_s:.0f} s once a hung call has "
                       "returned. Try another backend or device")
            return
        self._restart(now, backlog=list(self._recent))

    def _fail_for_good(self, err: BaseException | None) -> None:
        """A permanent error: stop trying (no restart, no fallback, no retry) and say so once."""
        message = getattr(err, "message", None) or str(err)
        self._fatal = f"{self._plan.spec.name} cannot run: {message}"
        self._retry_at = None
        self._emit(FATAL, self._fatal, getattr(err, "hint", "") or "check the model file and the runtimes "
                   "(`studio models verify`)")

    def _restart(self, now: float, backlog) -> None:
        self.jobs.clear()  # the backlog holds these frames already; a duplicate would run twice
        self._current = self._spawn(self._plan, active=True, backlog=backlog)
        self._current_started = now

    def _check_candidate(self, now: float) -> None:
        if self._candidate is None:
            return
        worker, plan, started = self._candidate
        problem = self._problem(worker, started, now)
        if problem is None:
            if not worker.ready.is_set() or worker.segmenter is None:
                return
            # Loaded: swap in one step. The old worker may be mid-inference; abandoning it keeps its mask out.
            old = self._current
            if old is not None:
                self._retire(old, abandon=True)
            self._candidate = None
            self._plan = plan
            self._fatal = ""  # another model or backend runs now: a permanent error of the old one is over
            self._current, self._current_started = worker, started
            worker.activate()
            if self._recent:  # the newest frame again, so the new model's first mask comes at once
                self.jobs.put(self._recent[-1])
            return
        what, _ = problem
        self._retire(worker, abandon=True)
        if plan.has_next():
            failed = plan.label()
            plan.pos += 1
            self.fallbacks += 1
            self._emit(EventKind.BACKEND_FALLBACK, f"{plan.spec.name} could not start on {failed} ({what}); trying "
                       f"{plan.label()}")
            self._candidate = (self._spawn(plan, active=False), plan, now)
        else:
            self._candidate = None
            self._emit(EventKind.ERROR, f"could not switch to {plan.spec.name} ({what})",
                       "the previous model keeps running; check the model and backend choice")


def _registry_spec(name: str) -> ModelSpec:
    from studio.models.registry import default_registry

    return default_registry().get(name)


__all__ = ["InferenceStatus", "InferenceSupervisor", "Watchdog", "default_chain"]
