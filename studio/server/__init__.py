"""`studio serve`: the edge HTTP service over the one model door and the one cutout function.

POST /process (picture in, cutout out), POST /tiles (the same result streamed as a grid of lossless WebP tiles),
GET /health, GET /metrics (Prometheus), GET / (a small page that shows the tiles filling in), /docs and
/openapi.json. One shared Segmenter per (model, backend, device), used by one worker at a time, on a bounded work
queue off the event loop (full queue: 503 + Retry-After). FastAPI/uvicorn are the optional extra ``[serve]``: nothing
here imports them at package import."""

from studio.server.options import ServeOptions

__all__ = ["ServeOptions", "create_app"]


def create_app(options: ServeOptions | None = None, **kwargs):
    """The ASGI app (FastAPI); see studio.server.app.create_app."""
    from studio.server.app import create_app as _create

    return _create(options, **kwargs)
