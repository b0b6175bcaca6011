"""The app factory: the service's parts (model pool, work queue, stats), error handling, the body-size guard and
start-up/shut-down. Routes are in studio.server.routes."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Callable

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException as StarletteHTTPException

from studio import __version__
from studio.core.errors import StudioError
from studio.server.metrics import ServiceStats
from studio.server.options import ServeError, ServeOptions
from studio.server.pool import ModelPool, WorkQueue

log = logging.getLogger("studio.server")


@dataclass
class Service:
    options: ServeOptions
    models: list[str]
    pool: ModelPool
    queue: WorkQueue
    stats: ServiceStats
    sensors: object | None = None
    ready: bool = False
    check_token: object = None  # the token dependency (routes.py), when there is a token

    @property
    def limits(self):
        return self.options.limits

    def close(self) -> None:
        self.queue.close()
        self.pool.close()
        if self.sensors is not None:
            self.sensors.close()


def available_models(default: str) -> list[str]:
    """Registry models whose file is here (embedded or downloaded); the default first."""
    from studio.models.registry import default_registry, file_status

    reg = default_registry()
    names = [n for n in reg.names() if file_status(reg.get(n)).present]
    return [default] + [n for n in names if n != default]


def create_app(options: ServeOptions | None = None, *, opener: Callable | None = None,
               telemetry: bool = True) -> FastAPI:
    """``opener(model, backend, device) -> Segmenter`` replaces open_segmenter (tests); ``telemetry=False`` skips
    the sensors."""
    options = options or ServeOptions()
    options.check()
    sensors = monitor = None
    if telemetry:
        from studio.telemetry import SystemMonitor, TemperatureSensors

        sensors, monitor = TemperatureSensors(), SystemMonitor()
    queue = WorkQueue(options.limits.workers, options.limits.queue_depth)
    service = Service(options, available_models(options.model), ModelPool(opener), queue,
                      ServiceStats(queue, sensors=sensors, monitor=monitor), sensors)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        try:
            if options.preload:
                await run_in_threadpool(service.pool.get, options.model, options.backend, options.device,
                                        options.quality)
            service.ready = True
            yield
        finally:
            await run_in_threadpool(service.close)

    guarded_docs = options.token is not None  # then /openapi.json and /docs need the token too (routes.py)
    app = FastAPI(
        title="Studio edge service", version=__version__, lifespan=lifespan,
        openapi_url=None if guarded_docs else "/openapi.json", docs_url=None if guarded_docs else "/docs",
        redoc_url=None,
        description="Cutouts of still pictures on this box: POST /process returns the cutout, POST /tiles streams "
                    "it as a grid of lossless WebP tiles, GET /health and GET /metrics say how the service is. "
                    + ("Every endpoint but /health needs the token: `Authorization: Bearer TOKEN` or `?token=`."
                       if options.token else "No token is required on this service."))
    app.state.service = service
    _install_error_handlers(app, service)
    app.add_middleware(BodyLimit, max_bytes=options.limits.max_body_bytes, service=service)

    from studio.server.routes import build_router

    app.include_router(build_router(service))
    if guarded_docs:
        from studio.server.routes import add_guarded_docs

        add_guarded_docs(app, service)
    return app


def error_response(status: int, code: str, detail: str, headers: dict | None = None) -> JSONResponse:
    return JSONResponse({"error": code, "detail": detail}, status_code=status, headers=headers)


def _install_error_handlers(app: FastAPI, service: Service) -> None:
    @app.exception_handler(ServeError)
    async def _serve_error(request: Request, exc: ServeError):
        service.stats.reject(exc.code)
        return error_response(exc.status, exc.code, exc.message, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError):
        parts = []
        for e in exc.errors():
            where = ".".join(str(x) for x in e.get("loc", ()) if x not in ("query", "body"))
            parts.append(f"{where}: {e.get('msg', 'invalid')}" if where else e.get("msg", "invalid"))
        service.stats.reject("bad_request")
        return error_response(422, "bad_request", "; ".join(parts) or "invalid request")

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException):
        code = {400: "bad_request", 404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        return error_response(exc.status_code, code, str(exc.detail), getattr(exc, "headers", None))

    @app.exception_handler(StudioError)
    async def _studio(request: Request, exc: StudioError):
        # A model that cannot be opened on this box (missing file, runtime absent): the service's problem, not the
        # caller's; say so and stay up.
        log.error("request failed: %s", exc)
        service.stats.reject("unavailable")
        return error_response(503, "unavailable", exc.message + (f" ({exc.hint})" if exc.hint else ""),
                              {"Retry-After": "30"})

    @app.exception_handler(MemoryError)
    async def _memory(request: Request, exc: MemoryError):
        service.stats.reject("out_of_memory")
        return error_response(503, "out_of_memory", "not enough memory for this picture now; retry later or send a "
                                                    "smaller one", {"Retry-After": "5"})


class BodyTooLarge(ServeError):
    def __init__(self, limit: int) -> None:
        super().__init__(413, "body_too_large", f"the request body is larger than {limit} bytes")


class BodyLimit:
    """Refuses a body over ``max_bytes``: at once from Content-Length, else as soon as more bytes than that have
    arrived (chunked uploads). Pure ASGI, so it sees the bytes before anything buffers them."""

    def __init__(self, app, max_bytes: int, service: Service) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.service = service

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        for name, value in scope.get("headers", ()):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared < 0 or declared > self.max_bytes:
                    self.service.stats.reject("body_too_large")
                    detail = (f"the request body is larger than {self.max_bytes} bytes" if declared > 0
                              else "bad Content-Length")
                    resp = error_response(413 if declared > 0 else 400,
                                          "body_too_large" if declared > 0 else "bad_request", detail,
                                          {"Connection": "close"})
                    return await resp(scope, receive, send)
        seen = 0

        async def limited_receive():
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        endpoint = scope.get("path", "") if scope.get("path") in _ENDPOINTS else "other"

        async def counted_send(message):
            if message["type"] == "http.response.start":
                self.service.stats.request(endpoint, message["status"])
            await send(message)

        await self.app(scope, limited_receive, counted_send)


_ENDPOINTS = {"/process", "/tiles", "/health", "/metrics", "/", "/openapi.json", "/docs"}
