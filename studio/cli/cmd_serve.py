"""`studio serve`: the edge HTTP service (POST /process, POST /tiles, GET /health, GET /metrics, a page)."""

from __future__ import annotations

import os

from studio.core.kinds import Quality

ENV_TOKEN = "STUDIO_TOKEN"


def register(sub) -> None:
    p = sub.add_parser("serve", help="serve cutouts over HTTP on this box (process, tiles, health, metrics, a page)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1: this machine only); any other needs --token")
    p.add_argument("--port", type=int, default=8000, help="TCP port (default 8000)")
    p.add_argument("--model", default="u2netp", help="default model (?model= picks another present one)")
    p.add_argument("--quality", default=Quality.FAST.value, choices=Quality.values(),
                   help="default ?quality=: best fuses several looks and models (about 1 s a picture; default fast)")
    p.add_argument("--backend", default="auto", help="auto, onnxruntime or openvino (default auto)")
    p.add_argument("--device", default="auto", help="device for the backend (default auto)")
    p.add_argument("--token", default=None,
                   help=f"secret every endpoint but /health requires (Bearer header or ?token=); default: "
                        f"${ENV_TOKEN}")
    p.add_argument("--no-token", action="store_true",
                   help="serve a non-loopback address WITHOUT a token (anyone who reaches the port may use it)")
    p.add_argument("--max-body-mb", type=float, default=20.0, help="largest upload in MiB (default 20)")
    p.add_argument("--max-pixels", type=int, default=40_000_000,
                   help="largest picture in pixels, checked from the header before decoding (default 40000000)")
    p.add_argument("--max-side", type=int, default=12_000, help="largest width or height (default 12000)")
    p.add_argument("--timeout", type=float, default=30.0, help="request time limit in seconds (default 30)")
    p.add_argument("--workers", type=int, default=2, help="worker threads (default 2)")
    p.add_argument("--queue", type=int, default=4,
                   help="jobs that may wait beyond the running ones; more get 503 + Retry-After (default 4)")
    p.set_defaults(func=cmd_serve)


def cmd_serve(args) -> int:
    from studio.core.errors import StudioError

    try:
        from studio.server.options import Limits, ServeOptions
        from studio.server.runner import serve
    except ImportError as exc:  # FastAPI/uvicorn are the optional extra [serve]
        raise StudioError(f"the service needs packages that are not installed ({exc.name})",
                          hint="pip install 'studio[serve]' (or -e '.[serve]' in a checkout)") from None
    if not 1 <= args.port <= 65535:
        raise StudioError(f"--port must be 1-65535, got {args.port}")
    token = args.token if args.token is not None else (os.environ.get(ENV_TOKEN) or None)
    if token is not None and args.no_token:
        raise StudioError("--token and --no-token contradict each other", hint="pick one")
    limits = Limits(max_body_bytes=int(args.max_body_mb * 1024 * 1024), max_pixels=args.max_pixels,
                    max_side=args.max_side, request_timeout_s=args.timeout, workers=args.workers,
                    queue_depth=args.queue)
    options = ServeOptions(model=args.model, quality=args.quality, backend=args.backend, device=args.device,
                           host=args.host, port=args.port, token=token, no_token=args.no_token, limits=limits)
    serve(options)
    return 0
