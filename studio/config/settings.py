"""Settings dataclasses with validation, loaded from and saved to one TOML file (GUI and headless share it).

Unknown keys are kept out with a warning rather than an error, so a settings file written by a newer version still
loads; a value of the wrong type or out of range is a SettingsError that names the key.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from studio.core import paths
from studio.core.atomic import write_text_atomic
from studio.core.errors import StudioError

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


@dataclass
class SourceSettings:
    kind: str = "auto"  # auto | camera | file | image | synthetic
    uri: str = ""  # camera index or device path or URL; file path
    width: int = 1280
    height: int = 720
    fps: float = 30.0
    mjpg: bool = True
    loop: bool = True

    def validate(self) -> None:
        _check(self.kind in ("auto", "camera", "file", "image", "synthetic"), "source.kind", f"unknown {self.kind!r}")
        _check(16 <= self.width <= 7680 and 16 <= self.height <= 4320, "source.width/height", "out of range")
        _check(0 < self.fps <= 240, "source.fps", "must be in (0, 240]")


@dataclass
class InferenceSettings:
    model: str = "selfie"
    backend: str = "auto"  # auto | onnxruntime | openvino | tensorrt
    device: str = "auto"
    target_area: int = 1024 * 768
    timeout_s: float = 5.0

    def validate(self) -> None:
        _check(bool(self.model), "inference.model", "must not be empty")
        _check(self.target_area >= 32 * 32, "inference.target_area", "too small")
        _check(self.timeout_s > 0, "inference.timeout_s", "must be positive")


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

    def validate(self) -> None:
        _check(self.static_fps > 0 and self.moderate_fps > 0 and self.fast_fps >= 0, "gate.*_fps", "must be positive")
        _check(0 < self.moderate_threshold < self.fast_threshold, "gate.thresholds", "need 0 < moderate < fast")
        _check(0 <= self.hysteresis < 1, "gate.hysteresis", "must be in [0, 1)")


@dataclass
class RefineSettings:
    guided: bool = True
    smoothing: float = 0.5  # temporal: weight of the previous mask, 0 = none
    feather: int = 0  # extra blur of the alpha edge, pixels
    threshold: float = 0.0  # 0 = soft alpha; otherwise hard cut at this value

    def validate(self) -> None:
        _check(0 <= self.smoothing < 1, "refine.smoothing", "must be in [0, 1)")
        _check(0 <= self.feather <= 64, "refine.feather", "must be in [0, 64]")
        _check(0 <= self.threshold < 1, "refine.threshold", "must be in [0, 1)")


@dataclass
class BackgroundSettings:
    kind: str = "blur"  # blur | color | image | video | none (transparent)
    color: str = "#00b140"
    path: str = ""
    blur_strength: int = 21

    def validate(self) -> None:
        _check(self.kind in ("blur", "color", "image", "video", "none"), "background.kind", f"unknown {self.kind!r}")
        _check(1 <= self.blur_strength <= 151, "background.blur_strength", "must be in [1, 151]")


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
class ThermalSettings:
    threshold_c: float = 75.0
    hysteresis_c: float = 5.0
    poll_s: float = 1.0

    def validate(self) -> None:
        _check(0 < self.hysteresis_c < self.threshold_c, "thermal.hysteresis_c", "must be in (0, threshold_c)")
        _check(self.poll_s > 0, "thermal.poll_s", "must be positive")


@dataclass
class KioskSettings:
    model: str = "u2netp"
    output_dir: str = ""
    format: str = "png"  # png (transparent) | jpg (white) | webp
    countdown_s: int = 0
    flicker: bool = False
    white_balance: bool = False

    def validate(self) -> None:
        _check(self.format in ("png", "jpg", "webp"), "kiosk.format", f"unknown {self.format!r}")
        _check(0 <= self.countdown_s <= 10, "kiosk.countdown_s", "must be in [0, 10]")


@dataclass
class Settings:
    source: SourceSettings = field(default_factory=SourceSettings)
    inference: InferenceSettings = field(default_factory=InferenceSettings)
    gate: GateSettings = field(default_factory=GateSettings)
    refine: RefineSettings = field(default_factory=RefineSettings)
    background: BackgroundSettings = field(default_factory=BackgroundSettings)
    output: OutputSettings = field(default_factory=OutputSettings)
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


def load_settings(path: Path | None = None) -> Settings:
    """Settings from ``path`` (default: the user settings file); defaults when the file does not exist."""
    path = path or paths.settings_path()
    if not path.is_file():
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
