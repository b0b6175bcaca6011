"""Errors raised by the TFLite -> ONNX converter."""

from __future__ import annotations

from collections.abc import Iterable


class ConversionError(ValueError):
    """A TFLite file could not be turned into an equivalent ONNX graph."""


class InvalidModelError(ConversionError):
    """The input is not a readable TFLite flatbuffer (or uses a layout we cannot interpret)."""


class UnsupportedOperatorError(ConversionError):
    """The model uses operators (or operator variants) the converter has no translator for.

    ``ops`` holds the builtin names (``"TANH"``) or custom codes (``"MyCustomOp"``); the message names them all
    so a user can tell at a glance whether the model is hopeless or one translator away.
    """

    def __init__(self, ops: Iterable[str], detail: str = "") -> None:
        self.ops: tuple[str, ...] = tuple(dict.fromkeys(ops))
        self.detail = detail
        message = "unsupported TFLite operator(s): " + ", ".join(self.ops)
        if detail:
            message += f" ({detail})"
        super().__init__(message)
