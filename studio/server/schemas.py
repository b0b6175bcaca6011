"""The JSON bodies the service answers with, as pydantic models so the OpenAPI schema describes them."""

from __future__ import annotations

from pydantic import BaseModel, Field


class ErrorBody(BaseModel):
    """Every 4xx/5xx answer: a short machine-readable word and a sentence for people."""

    error: str = Field(description="what went wrong, e.g. busy, not_an_image, too_many_pixels, unauthorized")
    detail: str = Field(description="the same in words, with what to do about it")


class Latency(BaseModel):
    window: int = Field(description="cutouts in the window the percentiles are taken over (the most recent 512)")
    p50_ms: float | None
    p95_ms: float | None
    p99_ms: float | None


class Queue(BaseModel):
    depth: int = Field(description="jobs admitted and not finished (running + waiting)")
    waiting: int
    capacity: int = Field(description="jobs admitted at once; one more is answered 503 with Retry-After")
    workers: int


class Sensor(BaseModel):
    source: str
    name: str
    label: str
    celsius: float
    kind: str


class Telemetry(BaseModel):
    cpu_temp_c: float | None = Field(description="null: no CPU sensor on this box")
    gpu_temp_c: float | None
    hottest_c: float | None
    rss_mb: float
    mem_used_percent: float
    cpu_percent: float
    process_cpu_percent: float
    process_cpu_s: float
    sensors: list[Sensor]


class LoadedModel(BaseModel):
    model: str
    backend: str
    device: str
    quality: str = Field("fast", description="fast: one look with one model; best: quality mode's fused looks")
    runs_on: str = Field(description="what actually runs, e.g. 'openvino 2025.1 on CPU'")


class Health(BaseModel):
    status: str = Field(description="ok; 'starting' until the default model is open")
    model: str = Field(description="the default model")
    backend: str = Field(description="the backend asked for (auto, onnxruntime, openvino)")
    device: str
    runs_on: str | None = Field(description="what the default model actually runs on; null before it is open")
    models: list[str] = Field(description="models this service may be asked for (?model=)")
    loaded: list[LoadedModel]
    uptime_s: float
    requests_served: int
    requests_rejected: int
    rejected: dict[str, int] = Field(description="refusals by reason")
    latency: Latency
    queue: Queue
    telemetry: Telemetry
