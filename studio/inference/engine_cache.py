"""Compiled-engine bookkeeping shared by the GPU runtimes (pure logic: no runtime is imported here).

- ``ShapeProfile``: the min/opt/max input shapes an engine is built for. For a dynamic model they come from the
  adaptive-resolution policy over the frame sizes a camera can deliver (and the thermal governor's smaller cap), so a
  resolution change never needs a rebuild; a fixed model gets its one size.
- ``EngineCache``: one folder per EngineKey (studio.inference.cache) holding ``engine.plan`` and ``engine.json``. The
  sidecar repeats every key field and the plan's sha256; a plan is loaded only when the sidecar matches the key it is
  looked up with and the bytes match the sidecar. Anything else (stale, foreign, truncated, hand-copied) is rebuilt,
  and the reason is kept for the report.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from studio.inference.cache import EngineKey
from studio.models.resolution import choose_input_size
from studio.models.spec import ModelSpec

# Frame sizes a camera or a still commonly delivers (landscape and portrait): the profile must cover all of them.
COMMON_FRAMES = ((640, 480), (1280, 720), (1920, 1080), (3840, 2160), (480, 640), (720, 1280), (1080, 1920))
OPT_FRAME = (1280, 720)
# The thermal governor may cap the area down to this fraction of the target; the profile's minimum covers it.
MIN_AREA_FACTOR = 0.25
PLAN_FILE = "engine.plan"
SIDECAR = "engine.json"


def _tensor_shape(spec: ModelSpec, width: int, height: int) -> tuple[int, int, int, int]:
    return (1, 3, height, width) if spec.layout == "NCHW" else (1, height, width, 3)


@dataclass(frozen=True)
class ShapeProfile:
    min: tuple[int, ...]
    opt: tuple[int, ...]
    max: tuple[int, ...]

    def covers(self, shape: tuple[int, ...]) -> bool:
        return len(shape) == len(self.min) and all(lo <= s <= hi for lo, s, hi in zip(self.min, shape, self.max))

    @property
    def static(self) -> bool:
        return self.min == self.opt == self.max

    def text(self) -> str:
        fmt = "x".join
        if self.static:
            return fmt(map(str, self.opt))
        return f"min={fmt(map(str, self.min))};opt={fmt(map(str, self.opt))};max={fmt(map(str, self.max))}"


def profile_for(spec: ModelSpec, frames=COMMON_FRAMES, *, opt_frame=OPT_FRAME, target_area: int | None = None,
                min_area_factor: float = MIN_AREA_FACTOR) -> ShapeProfile:
    """The optimisation profile for ``spec``: every input the adaptive policy can choose for ``frames``, at the
    target area and at the governor's lowest cap, lies between min and max; opt is what ``opt_frame`` gets."""
    if not spec.dynamic:
        s = _tensor_shape(spec, *spec.input_size)
        return ShapeProfile(s, s, s)
    target = target_area or spec.target_area
    low_cap = max(int(target * min_area_factor), spec.stride * spec.stride)
    sizes = []
    for w, h in frames:
        sizes.append(choose_input_size(w, h, spec, target_area=target))
        sizes.append(choose_input_size(w, h, spec, target_area=target, max_area=low_cap))
    shapes = [_tensor_shape(spec, w, h) for w, h in sizes]
    lo = tuple(min(d) for d in zip(*shapes))
    hi = tuple(max(d) for d in zip(*shapes))
    opt = _tensor_shape(spec, *choose_input_size(*opt_frame, spec, target_area=target))
    return ShapeProfile(lo, opt, hi)


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            h.update(block)
    return h.hexdigest()


class EngineCache:
    """The cached engine for one key: ``lookup()`` -> a verified plan path or None (``reason`` says why)."""

    def __init__(self, key: EngineKey, root: Path | None = None) -> None:
        self.key = key
        self.folder = key.folder(root)
        self.plan = self.folder / PLAN_FILE
        self.sidecar = self.folder / SIDECAR
        self.reason = ""

    def lookup(self) -> Path | None:
        if not self.plan.is_file():
            self.reason = "no cached engine"
            return None
        try:
            meta = json.loads(self.sidecar.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.reason = "the engine has no readable sidecar"
            return None
        want = asdict(self.key)
        differs = [k for k, v in want.items() if meta.get("key", {}).get(k) != v]
        if differs:
            self.reason = f"the cached engine was built for another {', '.join(differs)}"
            return None
        if meta.get("plan_sha256") != _sha256(self.plan):
            self.reason = "the cached engine's bytes do not match its sidecar (truncated or replaced)"
            return None
        self.reason = "cached engine matches"
        return self.plan

    def store(self, plan: bytes, **details) -> Path:
        """Write the plan and its sidecar atomically (sidecar last: a plan without one is never loaded)."""
        self.folder.mkdir(parents=True, exist_ok=True)
        tmp = self.plan.with_name(PLAN_FILE + ".tmp")
        tmp.write_bytes(plan)
        os.replace(tmp, self.plan)
        meta = {"key": asdict(self.key), "plan_sha256": hashlib.sha256(plan).hexdigest(), "bytes": len(plan),
                "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **details}
        tmp = self.sidecar.with_name(SIDECAR + ".tmp")
        tmp.write_text(json.dumps(meta, indent=2), encoding="utf-8")
        os.replace(tmp, self.sidecar)
        return self.plan

    def invalidate(self) -> None:
        for p in (self.plan, self.sidecar):
            p.unlink(missing_ok=True)
