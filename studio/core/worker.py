"""Lifecycle shared by every thread in Studio: a state, start/stop/join with a timeout, a heartbeat and the error.

Subclasses implement ``_run_once()`` (one iteration; return False to finish) and may override ``_setup()`` /
``_teardown()``, which run on the worker's own thread so that it owns what it creates (a backend, a camera).
Every live worker is listed by ``live_workers()`` so tests can fail when one leaks.
"""

from __future__ import annotations

import enum
import logging
import sys
import threading
import time
import weakref

from studio.core.errors import StudioError

log = logging.getLogger(__name__)

_LIVE: "weakref.WeakSet[Worker]" = weakref.WeakSet()
THREAD_PREFIX = "studio-"


class WorkerState(enum.Enum):
    NEW = "new"
    STARTING = "starting"
    RUNNING = "running"
    STOPPING = "stopping"
    STOPPED = "stopped"
    FAILED = "failed"


class Worker:
    """A named thread with a state machine; see the module docstring."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._state = WorkerState.NEW
        self._state_lock = threading.Lock()
        self.error: BaseException | None = None
        self.last_heartbeat = 0.0

    # -- lifecycle -------------------------------------------------------------------------------------------
    @property
    def state(self) -> WorkerState:
        return self._state

    def _set_state(self, state: WorkerState) -> None:
        with self._state_lock:
            self._state = state

    def start(self) -> None:
        if self._thread is not None:
            raise RuntimeError(f"{self.name} was already started")
        self._set_state(WorkerState.STARTING)
        self._thread = threading.Thread(target=self._main, name=THREAD_PREFIX + self.name, daemon=True)
        _LIVE.add(self)
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to finish; returns at once. Subclasses wake blocking waits in ``_wake()``."""
        if self._state in (WorkerState.RUNNING, WorkerState.STARTING):
            self._set_state(WorkerState.STOPPING)
        self._stop.set()
        self._wake()

    def join(self, timeout: float | None = 5.0) -> bool:
        """Wait for the thread; True when it has ended."""
        if self._thread is None:
            return True
        self._thread.join(timeout)
        alive = self._thread.is_alive()
        if not alive:
            _LIVE.discard(self)
        return not alive

    def close(self, timeout: float = 5.0) -> bool:
        self.stop()
        return self.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    @property
    def stopping(self) -> bool:
        return self._stop.is_set()

    def beat(self) -> None:
        self.last_heartbeat = time.perf_counter()

    # -- hooks -----------------------------------------------------------------------------------------------
    def _setup(self) -> None:
        pass

    def _run_once(self) -> bool:
        raise NotImplementedError

    def _teardown(self) -> None:
        pass

    def _wake(self) -> None:
        pass

    def _main(self) -> None:
        _name_os_thread(threading.current_thread().name)
        try:
            self._setup()
            self._set_state(WorkerState.RUNNING)
            self.beat()
            while not self._stop.is_set():
                if self._run_once() is False:
                    break
                self.beat()
        except BaseException as exc:  # noqa: BLE001 - the error is kept, logged and shown, not swallowed
            self.error = exc
            self._set_state(WorkerState.FAILED)
            if isinstance(exc, StudioError):  # a user's or the machine's problem, with a message: no traceback
                log.warning("%s failed: %s", self.name, exc.message)
            else:
                log.exception("%s failed", self.name)
        finally:
            try:
                self._teardown()
            except Exception as exc:  # noqa: BLE001
                log.exception("%s teardown failed", self.name)
                if self.error is None:
                    self.error = exc
            if self._state is not WorkerState.FAILED:
                self._set_state(WorkerState.STOPPED)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name} {self._state.value}>"


def _name_os_thread(name: str) -> None:
    """Give the calling thread ``name`` in the OS too (Linux: /proc/PID/task/TID/comm, `top -H`, 15 bytes), so the
    CPU a thread burns can be told apart from OpenCV's and the runtimes' own threads. Elsewhere, or without libc,
    nothing happens: it is a diagnostic, not a function."""
    if not sys.platform.startswith("linux"):
        return
    try:
        import ctypes

        ctypes.CDLL(None).prctl(15, name.encode()[:15], 0, 0, 0)  # 15: PR_SET_NAME
    except (OSError, AttributeError):
        pass


def live_workers() -> list[Worker]:
    """Workers whose thread is still running."""
    return [w for w in list(_LIVE) if w.alive]


def live_studio_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith(THREAD_PREFIX) and t.is_alive()]
