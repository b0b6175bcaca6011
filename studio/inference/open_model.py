"""The one door from a model to a running Segmenter (like ultralytics' AutoBackend): model name (or spec) ->
verified file -> a runtime chosen by the backend registry (or supplied by a factory) -> a Segmenter carrying its
selection report. The live worker, stills, the kiosk, the benches and the service all open models here; nothing
else puts the backend registry and a Segmenter together."""

from __future__ import annotations

from studio.inference.base import BackendFactory, SelectionReport
from studio.inference.segmenter import Segmenter
from studio.models.spec import ModelSpec


def open_segmenter(model: str | ModelSpec, backend: str = "auto", device: str = "auto", *,
                   target_area: int | None = None, factory: BackendFactory | None = None,
                   registry=None, backend_options: dict[str, dict] | None = None) -> Segmenter:
    """A ready Segmenter for ``model`` on ``backend``/``device`` ("auto" picks by the registry's order).

    ``model`` is a registry name or a ModelSpec. Without ``factory`` the model's file is verified (missing file or
    wrong checksum: ModelError) and the backend registry loads it; ``factory(spec, backend, device)`` replaces that
    step (the GUI's and tests' hook). ``registry`` defaults to the embedded models.toml. Raises StudioError
    subclasses (ModelError, BackendUnavailable) with hints; the caller owns the Segmenter and closes it.
    ``backend_options``: runtime name -> constructor options (a precision plan's run-time hint, see
    studio.inference.precision.backend_options)."""
    spec = model if isinstance(model, ModelSpec) else _registry(registry).get(model)
    if backend_options is None and spec.extra.get("precision"):
        # The model's default precision plan (models.toml `precision`, chosen by studio.bench.precision's rule).
        from studio.inference.precision import backend_options as plan_options

        backend_options = plan_options(spec.extra["precision"])
    if factory is not None:
        made = factory(spec, backend, device)
        info = made.info
        report = SelectionReport(info, f"{info.label()}: supplied by the caller's backend factory",
                                 [(backend, device, None)])
    else:
        from studio.inference.registry import create_backend
        from studio.models.registry import verified_path

        made, report = create_backend(backend, spec, verified_path(spec), device, options=backend_options)
    return Segmenter(spec, made, target_area=target_area, report=report)


def _registry(registry):
    if registry is not None:
        return registry
    from studio.models.registry import default_registry

    return default_registry()
