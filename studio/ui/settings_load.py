"""Settings for the app, forgiving: a part of the settings file that cannot be honoured (broken TOML, a value out of
range, a background or source file that was deleted) opens the app on the defaults for that part, with a banner that
says so, and the file is left exactly as it was (the app does not save over it in that session). The headless
commands stay strict: a run that cannot do what its settings say must say so and stop."""

from __future__ import annotations

import dataclasses
import sys
from dataclasses import dataclass, field
from pathlib import Path

from studio.config import Settings
from studio.core.errors import StudioError
from studio.core.kinds import BACKGROUND_KINDS_WITH_FILE, SOURCE_KINDS_WITH_FILE

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass
class LoadedSettings:
    settings: Settings
    problems: list[StudioError] = field(default_factory=list)

    @property
    def file_ok(self) -> bool:
        """Nothing was set aside: the app may save its changes to the file."""
        return not self.problems


def _settings_path(path: Path | None) -> Path:
    from studio.core import paths

    return path or paths.settings_path()


def load_for_gui(path: Path | None = None) -> LoadedSettings:
    path = _settings_path(path)
    keep = "the file is left as it is; changes made in this session are not saved until it is fixed or removed"
    if not path.exists():
        return LoadedSettings(Settings())
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc).splitlines()[0]
        return LoadedSettings(Settings(), [StudioError(f"the settings file {path} cannot be read ({reason}): "
                                                       "the app runs on its default settings", hint=keep)])
    settings, problems = Settings(), []
    for key, value in data.items():
        try:
            part = Settings.from_dict({key: value})
        except StudioError as exc:
            problems.append(StudioError(f"settings [{key}] cannot be used ({exc.message}): defaults for that part",
                                        hint=keep))
            continue
        if hasattr(settings, key):
            settings = dataclasses.replace(settings, **{key: getattr(part, key)})
    settings, more = _missing_files(settings, keep)
    return LoadedSettings(settings, problems + more)


def _missing_files(settings: Settings, keep: str) -> tuple[Settings, list[StudioError]]:
    """Files the settings point at that are gone: the background picture or video, a source file."""
    problems = []
    bg = settings.background
    if bg.kind in BACKGROUND_KINDS_WITH_FILE and bg.path and not Path(bg.path).expanduser().is_file():
        problems.append(StudioError(f"the background {bg.kind} {bg.path} is gone: using the default background",
                                    hint="pick another one in Background; " + keep))
        settings = dataclasses.replace(settings, background=type(bg)())
    src = settings.source
    if src.kind in SOURCE_KINDS_WITH_FILE and src.uri and not Path(src.uri).expanduser().is_file():
        problems.append(StudioError(f"the source file {src.uri} is gone: using the default source",
                                    hint="pick a camera, a video file or a picture in Source; " + keep))
        settings = dataclasses.replace(settings, source=type(src)())
    return settings, problems
