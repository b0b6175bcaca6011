"""What a service is started with: the model it serves, where it listens, who may call it and its limits."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from studio.core.errors import StudioError
from studio.core.kinds import Quality

DEFAULT_MODEL = "u2netp"  # product shots and people; the portrait models only know people


class ServeError(StudioError):
    """A request the service refuses: ``status`` is the HTTP status, ``code`` a short machine-readable word."""

    def __init__(self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.headers = headers or {}


@dataclass(frozen=True)
class Limits:
    max_body_bytes: int = 20 * 1024 * 1024  # one upload, raw or multipart
    max_pixels: int = 40_000_000  # width x height read from the header, before any decoding (decompression bombs)
    max_side: int = 12_000  # either dimension of the input picture
    request_timeout_s: float = 30.0  # reading the body + waiting for a worker + the cutout
    queue_depth: int = 4  # jobs waiting beyond those running; more: 503 + Retry-After
    workers: int = 2  # threads that decode, cut out and encode (one model session serves one of them at a time)
    max_tile: int = 1024

    def __post_init__(self) -> None:
        for name in ("max_body_bytes", "max_pixels", "max_side", "workers"):
            if getattr(self, name) < 1:
                raise StudioError(f"{name} must be at least 1, got {getattr(self, name)}")
        if self.queue_depth < 0:
            raise StudioError(f"queue_depth must be 0 or more, got {self.queue_depth}")
        if not self.request_timeout_s > 0:
            raise StudioError(f"request_timeout_s must be positive, got {self.request_timeout_s}")


@dataclass(frozen=True)
class ServeOptions:
    model: str = DEFAULT_MODEL
    quality: str = "fast"  # the default ?quality= (best: studio.stills.quality, several looks fused, ~1 s a picture)
    backend: str = "auto"
    device: str = "auto"
    host: str = "127.0.0.1"
    port: int = 8000
    token: str | None = None  # required (Bearer header or ?token=) on every endpoint but /health when set
    no_token: bool = False  # explicit opt-out for a non-loopback address (logged loudly)
    limits: Limits = Limits()
    preload: bool = True  # open the default model at start-up (else on the first request)

    def check(self) -> None:
        """Refuse a non-loopback address without a token (unless ``no_token`` says so on purpose)."""
        if self.quality not in Quality.values():
            raise StudioError(f"unknown quality {self.quality!r}", hint="use fast or best")
        if self.token is not None and len(self.token) < 8:
            raise StudioError("the token is too short", hint="use at least 8 characters, e.g. `openssl rand -hex 16`")
        if not is_loopback(self.host) and self.token is None and not self.no_token:
            raise StudioError(f"{self.host} is reachable from other machines and no token was given",
                              hint="pass --token SECRET (or set STUDIO_TOKEN); --no-token serves anyone who can "
                                   "reach the port")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
