"""Settings dataclasses with validation, loaded from and saved to one TOML file (GUI and headless share it).

Unknown keys are kept out with a warning rather than an error, so a settings file written by a newer version still
loads; a value of the wrong type or out of range is a SettingsError that names the key.
"""

from __future__ import annotations

import dataclasses
import logging
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from studio.core import paths
from studio.core.atomic import write_text_atomic
from studio.core.errors import StudioError
from studio.core.kinds import AlignMode, BackgroundKind, SourceKind

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

log = logging.getLogger(__name__)


class SettingsError(StudioError):
    pass


def _check(cond: bool, key: str, msg: str) -> None:
    if not cond:
        raise SettingsError(f"setting {key}: {msg}")


def check_range(key: str, value, lo: float, hi: float, *, lo_open: bool = False, hi_open: bool = False,
                what: str = "setting") -> None:
    """SettingsError naming the key, the value and the allowed range unless lo <= value <= hi (ends open when asked).

    NaN and infinities are refused whatever the range: a NaN compares False with everything and would slip through
    a plain ``value > 0``; an infinite timeout turns the watchdog off, a 1e-9 s poll burns a core."""
    ok = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    if ok:
        ok = (lo < value if lo_open else lo <= value) and (value < hi if hi_open else value <= hi)
    if not ok:
        allowed = f"{'(' if lo_open else '['}{lo:g}, {hi:g}{')' if hi_open else ']'}"
        raise SettingsError(f"{what} {key} = {value!r} is out of range: allowed {allowed}")


@dataclass
class SourceSettings:
    kind: str = SourceKind.AUTO.value  # a SourceKind
    uri: str = ""  # camera index or device path or URL; file path
    width: int = 1280
    height: int = 720
    fps: float = 30.0
    mjpg: bool = True
    loop: bool = True

    def validate(self) -> None:
        _check(self.kind in SourceKind.values(), "source.kind",
               f"unknown {self.kind!r} (use {', '.join(SourceKind.values())})")
        check_range("source.width", self.width, 16, 7680)
        check_range("source.height", self.height, 16, 4320)
        check_range("source.fps", self.fps, 1, 240)


@dataclass
class InferenceSettings:
    model: str = "selfie"
    backend: str = "auto"  # auto | onnxruntime | openvino | tensorrt
    device: str = "auto"
    target_area: int = 1024 * 768
    timeout_s: float = 5.0

    def validate(self) -> None:
        _check(bool(self.model), "inference.model", "must not be empty")
        check_range("inference.target_area", self.target_area, 32 * 32, 7680 * 4320)
        # Long enough for any inference to be timed, short of "the watchdog is off" (inf) or "every call hangs" (1 ms).
        check_range("inference.timeout_s", self.timeout_s, 0.1, 300)


@dataclass
class GateSettings:
    enabled: bool = True
    static_fps: float = 5.0
    moderate_fps: float = 15.0
    fast_fps: float = 0.0  # 0 = every frame
    moderate_threshold: float = 0.004  # fraction of pixels moving (see MotionGate)
    fast_threshold: float = 0.03
    hysteresis: float = 0.5  # a tier is left only when the level falls below threshold * (1 - hysteresis)
    hold_s: float = 0.5  # minimum time in a tier before stepping down
    # The static tier (see MotionGate): it runs on change, else as a keep-alive this often, and its inference takes
    # at most max_duty of one core (the model's measured cost sets the least interval: 200 ms at 0.2 -> 1/s).
    change_threshold: float = 0.001  # fraction of pixels moving that counts as "the picture changed"
    keepalive_s: float = 2.0
    max_duty: float = 0.2

    def validate(self) -> None:
        check_range("gate.static_fps", self.static_fps, 0, 240, lo_open=True)
        check_range("gate.moderate_fps", self.moderate_fps, 0, 240, lo_open=True)
        check_range("gate.fast_fps", self.fast_fps, 0, 240)  # 0 = every frame
        check_range("gate.moderate_threshold", self.moderate_threshold, 0, 1, lo_open=True, hi_open=True)
        check_range("gate.fast_threshold", self.fast_threshold, 0, 1, lo_open=True, hi_open=True)
        _check(self.moderate_threshold < self.fast_threshold, "gate.thresholds", "need 0 < moderate < fast")
        check_range("gate.hysteresis", self.hysteresis, 0, 1, hi_open=True)
        check_range("gate.hold_s", self.hold_s, 0, 60)
        check_range("gate.change_threshold", self.change_threshold, 0, 1, hi_open=True)
        check_range("gate.keepalive_s", self.keepalive_s, 0, 600, lo_open=True)
        check_range("gate.max_duty", self.max_duty, 0, 1, lo_open=True)


@dataclass
class RefineSettings:
    guided: bool = True
    smoothing: float = 0.8  # temporal: weight of the past where the new mask agrees with it (less where it changes
    #                         much: studio.compose.refine.MaskRefiner._smooth), 0 = none
    feather: int = 0  # extra blur of the alpha edge, pixels
    threshold: float = 0.0  # 0 = soft alpha; otherwise hard cut at this value
    edge_px: int = 0  # move the alpha edge outward (> 0) or inward (< 0, trims a fringe/halo) by this many pixels

    def validate(self) -> None:
        check_range("refine.smoothing", self.smoothing, 0, 1, hi_open=True)
        check_range("refine.edge_px", self.edge_px, -8, 8)
        check_range("refine.feather", self.feather, 0, 64)
        check_range("refine.threshold", self.threshold, 0, 1, hi_open=True)


@dataclass
class BackgroundSettings:
    kind: str = BackgroundKind.BLUR.value  # a BackgroundKind ("none": transparent)
    color: str = "#00b140"
    path: str = ""
    blur_strength: int = 21

    def validate(self) -> None:
        _check(self.kind in BackgroundKind.values(), "background.kind",
               f"unknown {self.kind!r} (use {', '.join(BackgroundKind.values())})")
        check_range("background.blur_strength", self.blur_strength, 1, 151)


@dataclass
class OutputSettings:
    vcam: bool = False
    vcam_device: str = ""
    mirror: bool = False
    record: str = ""
    snapshot_dir: str = ""

    def validate(self) -> None:
        pass


@dataclass
class LiveSettings:
    """How the live output trades latency for a mask that matches its frame, and when it idles."""

    align_mask: str = AlignMode.AUTO.value  # an AlignMode
    latency_budget_ms: float = 0.0  # 0 = auto: what keeps capture -> output under one frame interval
    idle_when_unwatched: bool = True  # a virtual camera nobody reads: stop inference, send a still slate
    release_camera_when_idle: bool = False  # close the camera while idle (its light goes off; reopening takes time)
    warp_mask: bool = True  # move an older mask with the picture before refining (studio bench warp: it wins)

    def validate(self) -> None:
        _check(self.align_mask in AlignMode.values(), "live.align_mask",
               f"unknown {self.align_mask!r} (use {', '.join(AlignMode.values())})")
        check_range("live.latency_budget_ms", self.latency_budget_ms, 0, 1000)


@dataclass
class ThermalSettings:
    threshold_c: float = 75.0
    hysteresis_c: float = 5.0
    poll_s: float = 1.0

    def validate(self) -> None:
        check_range("thermal.threshold_c", self.threshold_c, 20, 150)
        check_range("thermal.hysteresis_c", self.hysteresis_c, 0, self.threshold_c, lo_open=True, hi_open=True)
        # Sensors change over seconds; polling faster only burns CPU (1e-9 s took it from 23 to 68 s/min).
        check_range("thermal.poll_s", self.poll_s, 0.05, 60)


@dataclass
class KioskSettings:
    model: str = "u2netp"
    output_dir: str = ""
    format: str = "png"  # png (transparent) | jpg (white) | webp
    countdown_s: int = 0
    flicker: bool = False
    white_balance: bool = False
    best_quality: bool = False  # the cutout in quality mode (studio.stills.quality: fused looks, ~1 s a shot)

    def validate(self) -> None:
        _check(self.format in ("png", "jpg", "webp"), "kiosk.format", f"unknown {self.format!r}")
        check_range("kiosk.countdown_s", self.countdown_s, 0, 10)


@dataclass
class Settings:
    source: SourceSettings = field(default_factory=SourceSettings)
    inference: InferenceSettings = field(default_factory=InferenceSettings)
    gate: GateSettings = field(default_factory=GateSettings)
    refine: RefineSettings = field(default_factory=RefineSettings)
    background: BackgroundSettings = field(default_factory=BackgroundSettings)
    output: OutputSettings = field(default_factory=OutputSettings)
    live: LiveSettings = field(default_factory=LiveSettings)
    thermal: ThermalSettings = field(default_factory=ThermalSettings)
    kiosk: KioskSettings = field(default_factory=KioskSettings)
    recent_backgrounds: list[str] = field(default_factory=list)

    def validate(self) -> "Settings":
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if hasattr(value, "validate"):
                value.validate()
        return self

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Settings":
        s = cls()
        for key, value in data.items():
            if not hasattr(s, key):
                log.warning("ignoring unknown setting %r", key)
                continue
            current = getattr(s, key)
            if dataclasses.is_dataclass(current):
                _check(isinstance(value, dict), key, "must be a table")
                setattr(s, key, _update(current, value, key))
            else:
                _check(isinstance(value, type(current)), key, f"expected {type(current).__name__}")
                setattr(s, key, value)
        return s.validate()


def _update(obj, values: dict, prefix: str):
    kwargs = {}
    names = {f.name: f for f in dataclasses.fields(obj)}
    for key, value in values.items():
        if key not in names:
            log.warning("ignoring unknown setting %s.%s", prefix, key)
            continue
        default = getattr(obj, key)
        if isinstance(default, bool):
            _check(isinstance(value, bool), f"{prefix}.{key}", "expected true or false")
        elif isinstance(default, float):
            _check(isinstance(value, (int, float)) and not isinstance(value, bool), f"{prefix}.{key}",
                   "expected a number")
            value = float(value)
        elif isinstance(default, int):
            _check(isinstance(value, int) and not isinstance(value, bool), f"{prefix}.{key}", "expected an integer")
        elif isinstance(default, str):
            _check(isinstance(value, str), f"{prefix}.{key}", "expected a string")
        kwargs[key] = value
    return dataclasses.replace(obj, **kwargs)


def load_settings(path: Path | None = None, *, must_exist: bool = False) -> Settings:
    """Settings from ``path`` (default: the user settings file); defaults when the file does not exist, unless
    ``must_exist`` (a file the user named: a typo must not quietly run on defaults)."""
    path = path or paths.settings_path()
    if not path.is_file():
        if must_exist:
            raise SettingsError(f"settings file not found: {path}",
                                hint="check the path, or leave --settings out to use the user settings file")
        return Settings()
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise SettingsError(f"settings file {path} is not valid TOML: {exc}",
                            hint="fix or delete it; Studio writes a fresh one on the next save") from None
    return Settings.from_dict(data)


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    path = path or paths.settings_path()
    settings.validate()
    write_text_atomic(path, tomli_w.dumps(settings.to_dict()))
    return path
