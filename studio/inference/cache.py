"""Engine cache keys: which compiled artefact (OpenVINO blob, TensorRT plan) belongs to which model, runtime and device.

A compiled engine is only valid for the exact model bytes, runtime build, device and shape profile it was built from.
Every one of those goes into the key, and the key is the folder name, so a stale cache is never looked up at all: a
new model file, a runtime upgrade or another GPU simply gives another folder (and the old one can be pruned).
Pure logic; nothing here touches a runtime, and nothing creates a folder (callers do, when they first write).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from studio.core import paths

_SAFE = re.compile(r"[^a-z0-9.]+")
KEY_VERSION = "1"  # bump when the key's meaning changes, so every old folder becomes stale


@dataclass(frozen=True)
class EngineKey:
    model_sha256: str
    runtime: str  # "openvino", "tensorrt"
    runtime_version: str
    device: str  # as the runtime names it: "CPU", "GPU.0", "cuda:0 NVIDIA Orin (sm_87)"
    shape_profile: str  # "1x3x320x320", "dynamic", "min=..;opt=..;max=.."
    precision: str = ""  # "fp16", "int8", "" for the runtime's default

    def __post_init__(self) -> None:
        if not re.fullmatch(r"[0-9a-f]{64}", self.model_sha256 or ""):
            raise ValueError(f"model_sha256 must be 64 lowercase hex digits, got {self.model_sha256!r}")
        for name in ("runtime", "runtime_version", "device", "shape_profile"):
            if not getattr(self, name):
                raise ValueError(f"engine cache key needs a non-empty {name}")

    def digest(self) -> str:
        """A hash over every component, so any change at all (even one the readable part drops) changes the key."""
        text = "\n".join((KEY_VERSION, self.model_sha256, self.runtime, self.runtime_version, self.device,
                          self.shape_profile, self.precision))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]

    def folder_name(self) -> str:
        """Readable enough to recognise in a file manager, unique through the digest: ``<model>-<device>-<digest>``."""
        device = _SAFE.sub("_", self.device.lower()).strip("_")[:24] or "dev"
        return f"{self.model_sha256[:12]}-{device}-{self.digest()}"

    def folder(self, root: Path | None = None) -> Path:
        """``<engines_dir>/<runtime>/<folder_name>``; not created here."""
        return (root or paths.engines_dir()) / _SAFE.sub("_", self.runtime.lower()) / self.folder_name()


def shape_profile(shape) -> str:
    """"1x3x320x320" for a static shape; dims that are None, negative or symbolic make it "dynamic"."""
    dims = list(shape)
    if any(not isinstance(d, int) or d < 0 for d in dims):
        return "dynamic"
    return "x".join(str(d) for d in dims)


@lru_cache(maxsize=64)
def _sha256(path: str, mtime_ns: int, size: int) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def file_sha256(path: Path | str) -> str:
    """The file's sha256, remembered per (path, mtime, size) so reloading a model does not hash it again."""
    st = Path(path).stat()
    return _sha256(str(Path(path).resolve()), st.st_mtime_ns, st.st_size)
