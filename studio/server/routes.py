"""The endpoints: POST /process, POST /tiles, GET /health, GET /metrics, GET / (the page).

No `from __future__ import annotations` here: FastAPI reads the closures' annotations at run time."""


import asyncio
import hmac
import json
import time
from importlib import resources
from urllib.parse import quote
from typing import Literal

from fastapi import APIRouter, Depends, Query, Request, Security
from fastapi.responses import HTMLResponse, Response, StreamingResponse
from fastapi.security import APIKeyQuery, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from studio.server.decode import MULTIPART, RAW_CONTENT_TYPES, check_content_type, decode_upload, fit_max_side
from studio.server.options import ServeError
from studio.server.render import MEDIA_TYPES, encode, parse_background, picture, tile_messages
from studio.server.schemas import ErrorBody, Health

_BINARY = {"schema": {"type": "string", "format": "binary"}}
UPLOAD_BODY = {"requestBody": {
    "required": True,
    "description": "The picture (JPEG, PNG or WebP) as the raw body, or as the field 'file' of multipart/form-data.",
    "content": {**{ct: _BINARY for ct in RAW_CONTENT_TYPES},
                MULTIPART: {"schema": {"type": "object", "required": ["file"],
                                       "properties": {"file": {"type": "string", "format": "binary"}}}}},
}}


COLOUR_PATTERN = r"^(#?([0-9a-fA-F]{3}|[0-9a-fA-F]{6})|white|black|grey|gray|red|green|blue|chroma)$"


def _errors(*codes: int, token: bool) -> dict:
    words = {400: "empty, truncated or not a picture; malformed multipart",
             401: "missing or wrong token", 408: "the body did not arrive within the request time limit",
             413: "body, pixel count or dimensions over the limits", 415: "a content type that is not accepted",
             422: "a bad query value", 503: "the work queue is full (Retry-After says when to retry) or the model "
                                             "cannot be opened", 504: "the cutout took longer than the time limit"}
    out = {c: {"model": ErrorBody, "description": words[c]} for c in codes}
    if token:
        out[401] = {"model": ErrorBody, "description": words[401],
                    "headers": {"WWW-Authenticate": {"schema": {"type": "string"}, "description": "Bearer"}}}
    if 503 in out:
        out[503]["headers"] = {"Retry-After": {"schema": {"type": "string"},
                                               "description": "seconds to wait before trying again"}}
    return out


_RESULT_HEADERS = {
    "X-Studio-Model": {"schema": {"type": "string"}, "description": "the model that cut it out"},
    "X-Studio-Quality": {"schema": {"type": "string"}, "description": "fast or best (?quality=)"},
    "X-Studio-Runs-On": {"schema": {"type": "string"}, "description": "runtime and device, e.g. 'openvino on cpu'"},
    "X-Studio-Size": {"schema": {"type": "string"}, "description": "WIDTHxHEIGHT of the result"},
    "X-Studio-Cutout-Ms": {"schema": {"type": "string"}, "description": "decode-free cutout time in ms"},
}


def build_router(service) -> APIRouter:
    opts, limits = service.options, service.options.limits
    ModelName = Literal[tuple(service.models)]  # noqa: N806 - an enum in the schema

    async def check_token(bearer: HTTPAuthorizationCredentials | None = Security(HTTPBearer(auto_error=False)),
                          token: str | None = Security(APIKeyQuery(name="token", auto_error=False))) -> None:
        given = bearer.credentials if bearer is not None else token
        if given is None or not hmac.compare_digest(given.encode(), opts.token.encode()):
            raise ServeError(401, "unauthorized", "a valid token is required: `Authorization: Bearer TOKEN` or "
                                                  "?token=TOKEN", headers={"WWW-Authenticate": "Bearer"})

    guarded = [Depends(check_token)] if opts.token else []
    router = APIRouter()
    service.check_token = check_token

    class Options:
        def __init__(self,
                     model: ModelName = Query(opts.model, description="which model cuts out"),
                     background: str | None = Query(None, max_length=32, pattern=COLOUR_PATTERN,
                                                    description="a colour to put the cutout on (#rrggbb, rrggbb, "
                                                                "#rgb, or white/black/grey/red/green/blue/chroma); "
                                                                "none: transparent"),
                     max_side: int | None = Query(None, ge=16, le=limits.max_side,
                                                  description="scale the picture down so its longer side is at "
                                                              "most this many pixels first"),
                     refine: bool = Query(True, description="edge-aware refinement of the mask at full size "
                                                            "(false: the model's mask, resized)"),
                     quality: Literal["fast", "best"] = Query(opts.quality, description="best: several looks and models "
                                                                                 "fused (about 1 s a picture on two "
                                                                                 "cores; studio process --quality)")
                     ) -> None:
            self.model, self.max_side, self.refine, self.quality = model, max_side, refine, quality
            self.background = parse_background(background)

    async def read_upload(request: Request) -> bytes:
        mt = check_content_type(request.headers.get("content-type"))
        try:
            return await asyncio.wait_for(_read(request, mt), limits.request_timeout_s)
        except asyncio.TimeoutError:
            raise ServeError(408, "request_timeout",
                             f"the body did not arrive within {limits.request_timeout_s:g} s") from None

    async def _read(request: Request, mt: str) -> bytes:
        if mt != MULTIPART:
            return await request.body()
        form = await request.form(max_files=1, max_fields=8, max_part_size=limits.max_body_bytes)
        try:
            f = form.get("file")
            if not isinstance(f, UploadFile):
                raise ServeError(400, "missing_file", "multipart/form-data needs the picture in a field named 'file'")
            return await f.read()
        finally:
            await form.close()

    async def cutout(request: Request, o: Options, endpoint: str):
        """Upload -> (picture array, what ran) on a worker, within the time limit."""
        t0 = time.monotonic()
        data = await read_upload(request)

        def job():
            from studio.stills.cutout import STILL_REFINE, cut_out

            image = fit_max_side(decode_upload(data, limits), o.max_side)
            seg, lock = service.pool.get(o.model, opts.backend, opts.device, o.quality)
            with lock:
                cut = cut_out(seg, image, refine=STILL_REFINE if o.refine else None)
            return picture(cut, o.background), seg.backend_label, cut.seconds

        left = max(0.05, limits.request_timeout_s - (time.monotonic() - t0))
        pic, label, seconds = await service.queue.run(
            job, left, retry_after_s=service.queue.retry_after_s(service.stats.typical_job_s()))
        return pic, {"model": o.model, "quality": o.quality, "runs_on": label,
                     "cutout_ms": round(seconds * 1000, 2)}, t0

    @router.post("/process", dependencies=guarded, openapi_extra=UPLOAD_BODY, response_class=Response,
                 summary="Cut out one picture",
                 responses={200: {"content": {m: _BINARY for m in MEDIA_TYPES.values()},
                                  "headers": _RESULT_HEADERS,
                                  "description": "the cutout: RGBA PNG (default) or WebP; JPEG (or any format with "
                                                 "?background=) is composited on the colour (white by default)"},
                            **_errors(400, 408, 413, 415, 422, 503, 504, token=bool(opts.token))})
    async def process(request: Request, o: Options = Depends(),
                      format: Literal["png", "webp", "jpeg", "jpg"] = Query(  # noqa: A002 - the public name
                          "png", description="png and webp keep transparency; jpeg is composited")):
        fmt = "jpeg" if format == "jpg" else format
        if fmt == "jpeg" and o.background is None:
            o.background = (255, 255, 255)
        pic, meta, t0 = await cutout(request, o, "process")
        body = await run_in_threadpool(encode, pic, fmt)
        service.stats.done("process", time.monotonic() - t0)
        return Response(body, media_type=MEDIA_TYPES[fmt], headers={
            "X-Studio-Model": meta["model"], "X-Studio-Quality": meta["quality"], "X-Studio-Runs-On": meta["runs_on"],
            "X-Studio-Size": f"{pic.shape[1]}x{pic.shape[0]}", "X-Studio-Cutout-Ms": str(meta["cutout_ms"])})

    @router.post("/tiles", dependencies=guarded, openapi_extra=UPLOAD_BODY, response_class=StreamingResponse,
                 summary="Cut out one picture and stream it as tiles",
                 responses={200: {"content": {"application/x-ndjson": {"schema": {"type": "string"}}},
                                  "description": "newline-delimited JSON: a 'start' message (width, height, tile, "
                                                 "cols, rows, tiles, channels), then one 'tile' message per cell "
                                                 "(x, y, w, h, data: base64 lossless WebP), each sent as soon as it "
                                                 "is encoded, then 'end'. Put together, the tiles equal /process's "
                                                 "format=png result for the same picture and options."},
                            **_errors(400, 408, 413, 415, 422, 503, 504, token=bool(opts.token))})
    async def tiles(request: Request, o: Options = Depends(),
                    tile: int = Query(256, ge=32, le=limits.max_tile, description="tile side in pixels")):
        pic, meta, t0 = await cutout(request, o, "tiles")

        def lines():
            try:
                for msg in tile_messages(pic, tile, meta):
                    yield (json.dumps(msg, separators=(",", ":")) + "\n").encode()
            finally:
                service.stats.done("tiles", time.monotonic() - t0)

        return StreamingResponse(lines(), media_type="application/x-ndjson",
                                 headers={"X-Accel-Buffering": "no", "Cache-Control": "no-store"})

    @router.get("/health", response_model=Health, summary="How the service is (never needs the token)")
    async def health() -> Health:
        s = service.stats
        tel = await run_in_threadpool(s.telemetry)  # sysfs/psutil/NVML off the loop; never waits for a worker
        loaded = service.pool.loaded()
        default = next((m["runs_on"] for m in loaded if (m["model"], m["backend"], m["device"], m["quality"]) ==
                        (opts.model, opts.backend, opts.device, opts.quality)), None)
        q = service.queue
        return Health(status="ok" if service.ready else "starting", model=opts.model, backend=opts.backend,
                      device=opts.device, runs_on=default, models=service.models, loaded=loaded,
                      uptime_s=round(s.uptime(), 3), requests_served=s.served, requests_rejected=s.rejected_total(),
                      rejected=dict(s.rejected), latency=s.percentiles(),
                      queue={"depth": q.depth, "waiting": q.waiting, "capacity": q.capacity, "workers": q.workers},
                      telemetry={k: v for k, v in tel.items()})

    @router.get("/metrics", dependencies=guarded, response_class=Response, summary="Prometheus metrics",
                responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}},
                                 "description": "Prometheus text exposition format"},
                           **_errors(token=bool(opts.token))})
    async def metrics():
        from prometheus_client import CONTENT_TYPE_LATEST

        return Response(await run_in_threadpool(service.stats.prometheus), media_type=CONTENT_TYPE_LATEST)

    @router.get("/", dependencies=guarded, response_class=HTMLResponse, summary="A page to try the service",
                responses={200: {"content": {"text/html": {"schema": {"type": "string"}}},
                                 "description": "drop a picture, watch the tiles fill in"},
                           **_errors(token=bool(opts.token))})
    async def page():
        return HTMLResponse(PAGE())

    return router


def add_guarded_docs(app, service) -> None:
    """/openapi.json and /docs behind the token (a token-protected service tells strangers nothing)."""
    from fastapi.openapi.docs import get_swagger_ui_html
    from fastapi.responses import JSONResponse

    guarded = [Depends(service.check_token)]

    @app.get("/openapi.json", dependencies=guarded, include_in_schema=False)
    async def openapi():
        return JSONResponse(app.openapi())

    @app.get("/docs", dependencies=guarded, include_in_schema=False)
    async def docs(token: str | None = None):
        # the page fetches the schema itself: hand it the token it came with (a Bearer-only caller sees 401 there)
        url = "openapi.json" + (f"?token={quote(token)}" if token else "")
        return get_swagger_ui_html(openapi_url=url, title=app.title + " - docs")


def PAGE() -> str:  # noqa: N802
    return resources.files("studio.server").joinpath("static/index.html").read_text(encoding="utf-8")
