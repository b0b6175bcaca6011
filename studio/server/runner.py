"""Running the app on uvicorn: ``serve`` (blocking, for `studio serve`) and ``ServerThread`` (in-process, on a free
loopback port, for tests and benches; ``stop`` ends uvicorn and the service's workers and joins the thread)."""

from __future__ import annotations

import logging
import re
import socket
import threading
import time

from studio.core.worker import THREAD_PREFIX
from studio.server.options import ServeOptions, is_loopback

log = logging.getLogger("studio.server")

# uvicorn answers 503 itself past this many open connections+tasks (before our queue is even asked)
LIMIT_CONCURRENCY = 64


def uvicorn_config(app, host: str, port: int, *, access_log: bool = False, log_level: str = "warning"):
    import uvicorn

    return uvicorn.Config(app, host=host, port=port, log_level=log_level, access_log=access_log,
                          limit_concurrency=LIMIT_CONCURRENCY, timeout_keep_alive=5, timeout_graceful_shutdown=5,
                          server_header=False, lifespan="on", ws="none")


def urls(options: ServeOptions, port: int | None = None) -> dict[str, str]:
    host = options.host
    shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    if ":" in shown:
        shown = f"[{shown}]"
    base = f"http://{shown}:{port or options.port}"
    tok = f"?token={options.token}" if options.token else ""
    return {"page": f"{base}/{tok}", "docs": f"{base}/docs", "health": f"{base}/health", "base": base}


def serve(options: ServeOptions, *, opener=None, announce=print) -> None:
    """Serve until Ctrl-C (blocking)."""
    import uvicorn

    from studio.server.app import create_app

    options.check()
    if not is_loopback(options.host):
        if options.token is None:
            log.warning("!!! --no-token: %s serves ANYONE who can reach port %d, without a token !!!",
                        options.host, options.port)
        else:
            log.warning("listening on %s: reachable from other machines; every endpoint but /health needs the token",
                        options.host)
    app = create_app(options, opener=opener)
    server = uvicorn.Server(uvicorn_config(app, options.host, options.port, access_log=True, log_level="info"))
    logging.getLogger("uvicorn.access").addFilter(RedactToken())
    u = urls(options)
    announce(f"studio serve: {options.model} on {options.backend}/{options.device}; limits "
             f"{options.limits.max_body_bytes // (1024 * 1024)} MiB body, {options.limits.max_pixels} pixels, "
             f"{options.limits.request_timeout_s:g} s, queue {options.limits.workers}+{options.limits.queue_depth}")
    announce(f"  page:   {u['page']}\n  docs:   {u['docs']}\n  health: {u['health']}\n  Ctrl-C to stop")
    server.run()


class RedactToken(logging.Filter):
    """The access log never shows a ?token= value."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_TOKEN_RE.sub(r"\1***", a) if isinstance(a, str) else a for a in record.args)
        return True


_TOKEN_RE = re.compile(r"([?&]token=)[^&\s]*")


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class ServerThread:
    """The app on uvicorn in a thread. Use as a context manager; ``url`` is where it listens."""

    def __init__(self, app, host: str = "127.0.0.1", port: int | None = None, *, start_timeout_s: float = 60.0):
        import uvicorn

        if not is_loopback(host):
            raise ValueError("ServerThread listens on loopback addresses only")
        self.port = port or free_port(host)
        self.url = f"http://{host}:{self.port}"
        self.server = uvicorn.Server(uvicorn_config(app, host, self.port))
        self.server.install_signal_handlers = lambda: None  # older uvicorns; newer ones skip off the main thread
        self._timeout = start_timeout_s
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=f"{THREAD_PREFIX}serve-http", daemon=True)

    def _run(self) -> None:
        try:
            self.server.run()
        except BaseException as exc:  # noqa: BLE001 - reported by start()
            self._error = exc

    def start(self) -> "ServerThread":
        self._thread.start()
        deadline = time.monotonic() + self._timeout
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"the service did not start: {self._error or 'timed out'}")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout=30)

    def __enter__(self) -> "ServerThread":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
