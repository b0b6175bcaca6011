"""Entry point of the `studio` command: builds the parser from the subcommand modules and turns errors into messages."""

from __future__ import annotations

import argparse
import importlib
import logging
import sys

from studio import __version__
from studio.core.errors import StudioError

# Subcommand modules, in the order `studio --help` lists them. Each defines register(subparsers).
COMMANDS = [
    "studio.cli.cmd_gui",
    "studio.cli.cmd_cam",
    "studio.cli.cmd_process",
    "studio.cli.cmd_eval",
    "studio.cli.cmd_models",
    "studio.cli.cmd_bench",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="studio",
        description="Live background replacement for cameras on edge boxes, and batch cutouts of still images.",
    )
    parser.add_argument("--version", action="version", version=f"studio {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.WARNING - 10 * min(args.verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except StudioError as exc:
        print(f"studio: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("studio: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
