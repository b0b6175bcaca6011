"""``studio models convert IN.tflite OUT.onnx``: the command-line face of the converter.

The studio CLI owns the parser; it can either call ``add_convert_arguments(subparser)`` and pass the parsed namespace
to ``main_convert``, or hand ``main_convert`` the raw argument list.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .errors import ConversionError, InvalidModelError, UnsupportedOperatorError

EXIT_OK = 0
EXIT_FAILED = 2


def add_convert_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("input", type=Path, help="TFLite model to convert (.tflite)")
    parser.add_argument("output", type=Path, help="ONNX file to write (.onnx)")
    parser.add_argument("--opset", type=int, default=17, help="ONNX opset to target (default: 17)")
    return parser


def _parse(args: argparse.Namespace | Sequence[str] | None) -> argparse.Namespace:
    if isinstance(args, argparse.Namespace):
        return args
    parser = add_convert_arguments(
        argparse.ArgumentParser(prog="studio models convert", description="Convert a TFLite model to ONNX.")
    )
    return parser.parse_args(list(args) if args is not None else None)


def main_convert(args: argparse.Namespace | Sequence[str] | None = None) -> int:
    """Convert ``args.input`` to ``args.output``, print the report; 0 on success, 2 on a model we cannot convert."""
    from . import convert_tflite_to_onnx

    ns = _parse(args)
    src, dst = Path(ns.input), Path(ns.output)
    opset = int(getattr(ns, "opset", 17) or 17)
    if not src.is_file():
        print(f"error: {src}: no such file", file=sys.stderr)
        return EXIT_FAILED
    try:
        report = convert_tflite_to_onnx(src, dst, opset=opset)
    except UnsupportedOperatorError as exc:
        print(f"error: cannot convert {src}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except InvalidModelError as exc:
        print(f"error: cannot read {src} as a TFLite model: {exc}", file=sys.stderr)
        return EXIT_FAILED
    except ConversionError as exc:
        print(f"error: cannot convert {src}: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(report.summary())
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main_convert())
