"""One exception family, so the CLI and the GUI can show a message and a hint instead of a traceback."""

from __future__ import annotations


class StudioError(Exception):
    """An error a user can act on. ``hint`` says what to do about it."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}\n  hint: {self.hint}" if self.hint else self.message


class ModelError(StudioError):
    """A model is unknown, missing, corrupt or cannot be loaded."""


class BackendUnavailable(StudioError):
    """A runtime or device was asked for but is not present (or silently fell back)."""


class SourceError(StudioError):
    """A camera, file or URL could not be opened or stopped delivering frames."""


class SinkError(StudioError):
    """An output (virtual camera, recorder) could not be opened or written."""
