"""The GUI's copy of the Settings: panels change it section by section; every change is validated, announced to the
window (which hands it to the pipeline) and saved, debounced, to the same file the headless commands read."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal

from studio.config import Settings, SettingsError, save_settings
from studio.core.errors import StudioError

log = logging.getLogger(__name__)


class SettingsController(QObject):
    changed = Signal(object, str)  # (Settings, section that changed)
    error = Signal(object)  # a StudioError for a banner

    def __init__(self, settings: Settings, path: Path | None = None, *, persist: bool = True,
                 save_delay_ms: int = 400, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.settings = settings
        self.path = path
        self.persist = persist
        self.saves = 0
        self._save_timer = QTimer(self)
        self._save_timer.setSingleShot(True)
        self._save_timer.setInterval(save_delay_ms)  # a slider drag writes the file once, not once per step
        self._save_timer.timeout.connect(self.save_now)

    def update(self, section: str, **values) -> bool:
        """Replace fields of one section; False (and an ``error`` signal) when the result is invalid."""
        current = getattr(self.settings, section)
        try:
            if dataclasses.is_dataclass(current):
                new_section = dataclasses.replace(current, **values)
                new_section.validate()
                new = dataclasses.replace(self.settings, **{section: new_section})
            else:
                new = dataclasses.replace(self.settings, **{section: values["value"]})
        except (SettingsError, TypeError, ValueError) as exc:
            self.error.emit(exc if isinstance(exc, StudioError) else SettingsError(str(exc)))
            return False
        if new == self.settings:
            return True
        self.settings = new
        self.changed.emit(new, section)
        if self.persist:
            self._save_timer.start()
        return True

    def restore(self, section: str, value) -> None:
        """Put one section back (the pipeline refused the new one) without announcing it as a change."""
        self.settings = dataclasses.replace(self.settings, **{section: value})
        if self.persist:
            self._save_timer.start()

    def save_now(self) -> None:
        self._save_timer.stop()
        if not self.persist:
            return
        try:
            save_settings(self.settings, self.path)
            self.saves += 1
        except (OSError, StudioError) as exc:
            log.warning("could not save settings: %s", exc)
            self.error.emit(StudioError(f"could not save settings: {exc}",
                                        hint="check that the settings folder is writable (STUDIO_CONFIG_DIR)"))

    def flush(self) -> None:
        """Write now if a save is pending (on close)."""
        if self._save_timer.isActive():
            self.save_now()
