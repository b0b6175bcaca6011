"""The model registry: resources/models/models.toml read into ModelSpecs, plus checksum verification."""

from __future__ import annotations

import hashlib
import sys
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from studio.core import paths
from studio.core.errors import ModelError
from studio.models.spec import DownloadSource, ModelSpec

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - 3.10
    import tomli as tomllib

_TUPLE_FIELDS = {"input_size", "mean", "std"}
_KNOWN = set(ModelSpec.__dataclass_fields__) - {"name", "download", "extra"}


def spec_from_dict(name: str, data: dict) -> ModelSpec:
    kwargs = {}
    extra = {}
    for key, value in data.items():
        if key == "download":
            try:
                kwargs["download"] = DownloadSource(**value)
            except TypeError as exc:
                raise ModelError(f"model {name!r}: bad [download] table: {exc}") from None
        elif key in _KNOWN:
            kwargs[key] = tuple(value) if key in _TUPLE_FIELDS else value
        else:
            extra[key] = value
    missing = [k for k in ("kind", "file", "licence", "source") if k not in kwargs]
    if missing:
        raise ModelError(f"model {name!r} in models.toml lacks {', '.join(missing)}")
    return ModelSpec(name=name, extra=extra, **kwargs)


def sha256_file(path: Path, chunk: int = 1 << 20) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(chunk):
            h.update(block)
    return h.hexdigest()


@lru_cache(maxsize=64)
def _cached_sha256(path: str, mtime_ns: int, size: int) -> str:
    return sha256_file(Path(path))


@dataclass(frozen=True)
class ModelStatus:
    spec: ModelSpec
    present: bool
    size_bytes: int | None
    sha256_ok: bool | None  # None: absent, or no pinned checksum to compare with
    actual_sha256: str | None


class ModelRegistry:
    def __init__(self, specs: dict[str, ModelSpec], source: Path | None = None) -> None:
        self._specs = dict(specs)
        self.source = source

    @classmethod
    def load(cls, toml_path: Path | None = None) -> "ModelRegistry":
        toml_path = toml_path or paths.models_dir() / "models.toml"
        try:
            data = tomllib.loads(toml_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ModelError(f"model registry not found: {toml_path}",
                             hint="set STUDIO_RESOURCES_DIR to the folder that holds models/models.toml") from None
        except tomllib.TOMLDecodeError as exc:
            raise ModelError(f"model registry {toml_path} is not valid TOML: {exc}") from None
        specs = {name: spec_from_dict(name, entry) for name, entry in data.get("models", {}).items()}
        return cls(specs, toml_path)

    def names(self) -> list[str]:
        return list(self._specs)

    def specs(self) -> list[ModelSpec]:
        return list(self._specs.values())

    def __contains__(self, name: str) -> bool:
        return name in self._specs

    def get(self, name: str) -> ModelSpec:
        try:
            return self._specs[name]
        except KeyError:
            raise ModelError(f"unknown model {name!r}", hint=f"known models: {', '.join(self._specs)}") from None

    def default_for(self, kind: str) -> ModelSpec:
        for spec in self._specs.values():
            if spec.kind == kind and spec.embedded:
                return spec
        raise ModelError(f"no embedded model of kind {kind!r}")

    def status(self, name: str) -> ModelStatus:
        return file_status(self.get(name))

    def resolve(self, name: str) -> tuple[ModelSpec, Path]:
        """The spec and its verified file; a missing file or a wrong checksum is a ModelError, never a silent load."""
        spec = self.get(name)
        return spec, verified_path(spec)


def file_status(spec: ModelSpec) -> ModelStatus:
    p = spec.path()
    if not p.is_file():
        return ModelStatus(spec, False, None, None, None)
    st = p.stat()
    actual = _cached_sha256(str(p), st.st_mtime_ns, st.st_size)
    ok = (actual == spec.sha256.lower()) if spec.sha256 else None
    return ModelStatus(spec, True, st.st_size, ok, actual)


def verified_path(spec: ModelSpec) -> Path:
    """``spec``'s file, checked: a missing file or a wrong checksum is a ModelError with what to do."""
    status = file_status(spec)
    if not status.present:
        hint = (f"this model is downloaded on request: run `studio models fetch {spec.name}` "
                f"({spec.download.describe()}), or put the file at {spec.path()}" if spec.download else
                "reinstall, or run `python installers/vendor_models.py` in a checkout")
        raise ModelError(f"model file for {spec.name!r} is missing: {spec.path()}", hint=hint)
    if status.sha256_ok is False:
        raise ModelError(
            f"model file for {spec.name!r} has the wrong checksum: {spec.path()}\n"
            f"  expected sha256 {spec.sha256}\n  found    sha256 {status.actual_sha256}",
            hint="the file is corrupt or was replaced; restore it (or re-download it)")
    return spec.path()


def default_registry() -> ModelRegistry:
    return ModelRegistry.load()


# Stills (kiosk, product shots) asked for "auto": the best of these that is present and intact, in this order. u2net
# scored IoU 0.904 against u2netp's 0.883 on the portraits (fp32: 1.7 vs 0.5 s per picture, 2 cores; with its bf16
# default its inference is about u2netp's fp32 time); it is fetched on request (`studio models fetch u2net`).
STILLS_AUTO = ("u2net", "u2netp")


def stills_model(name: str, registry: ModelRegistry | None = None) -> str:
    """``name`` itself, or for "auto" the first model of STILLS_AUTO whose file is here with the right checksum."""
    if name != "auto":
        return name
    registry = registry or default_registry()
    for candidate in STILLS_AUTO:
        if candidate in registry:
            st = registry.status(candidate)
            if st.present and st.sha256_ok is not False:
                return candidate
    return STILLS_AUTO[-1]
