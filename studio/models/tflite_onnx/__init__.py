"""Our own TFLite -> ONNX converter, sized for MediaPipe's selfie segmentation models.

``convert_tflite_to_onnx(src, dst)`` keeps the TFLite I/O contract (NHWC in and out) and runs NCHW inside. The heavy
imports (``onnx``, ``tflite``, numpy) happen only when a conversion runs, so importing this package is free.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import ConversionError, InvalidModelError, UnsupportedOperatorError

if TYPE_CHECKING:
    from pathlib import Path

    from .converter import ConversionReport, TensorSpec

__all__ = [
    "ConversionError",
    "ConversionReport",
    "InvalidModelError",
    "TensorSpec",
    "UnsupportedOperatorError",
    "convert_tflite_to_onnx",
]


def convert_tflite_to_onnx(src: Path, dst: Path, *, opset: int = 17) -> ConversionReport:
    """Convert ``src`` (.tflite) to ``dst`` (.onnx) and return what was converted; see ``converter`` for details."""
    from .converter import convert_tflite_to_onnx as _convert

    return _convert(src, dst, opset=opset)


def __getattr__(name: str) -> Any:
    if name in ("ConversionReport", "TensorSpec"):
        from . import converter

        return getattr(converter, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
