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
    "studio.cli.cmd_doctor",
    "studio.cli.cmd_serve",
]


def command_module(name: str) -> str:
    """The module of subcommand ``name`` (`studio NAME`): each is studio.cli.cmd_NAME."""
    return f"studio.cli.cmd_{name}"


def _named_command(argv: list[str] | None) -> str | None:
    """The subcommand module ``argv`` runs, when it names one: its first word that is not an option (the top-level
    options take no value). None for no command or an unknown word (the full parser says what is known)."""
    word = next((a for a in argv or () if not a.startswith("-")), None)
    if word is None or command_module(word) not in COMMANDS:
        return None
    return command_module(word)


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The `studio` parser. With ``argv`` naming a subcommand, only that one is registered: the others' modules
    (and what their options import, e.g. the benchmarks') stay out of a run's start; parsing ``argv`` gives the same
    result, and help, no command or an unknown one get every command."""
    parser = argparse.ArgumentParser(
        prog="studio",
        description="Live background replacement for cameras on edge boxes, and batch cutouts of still images.",
    )
    parser.add_argument("--version", action="version", version=f"studio {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    named = _named_command(argv)
    for name in [named] if named else COMMANDS:
        importlib.import_module(name).register(sub)
    _describe(parser)
    return parser


def _describe(parser: argparse.ArgumentParser) -> None:
    """Every (sub)command's --help opens with a description: its one-line help where it has none of its own."""
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {a.dest: a.help for a in action._choices_actions}
            for name, sub in action.choices.items():
                if not sub.description and helps.get(name):
                    text = helps[name]
                    sub.description = text[0].upper() + text[1:] + "."
                _describe(sub)


class _UserFacingFormatter(logging.Formatter):
    """Log lines for a terminal: a user's or the machine's problem (StudioError, OSError) logged with its exception
    is one line, not a traceback (-v brings tracebacks back). A bug keeps its traceback: that one is for us."""

    def __init__(self, verbose: int) -> None:
        super().__init__("%(levelname)s %(name)s: %(message)s")
        self.verbose = verbose

    def formatException(self, ei) -> str:  # noqa: N802 (logging's name)
        exc = ei[1]
        if self.verbose or not isinstance(exc, (StudioError, OSError)):
            return super().formatException(ei)
        return f"  {str(exc).strip()}"


def _setup_logging(verbose: int) -> None:
    level = logging.WARNING - 10 * min(verbose, 2)
    handler = logging.StreamHandler()
    handler.setFormatter(_UserFacingFormatter(verbose))
    logging.basicConfig(level=level, handlers=[handler])


# OpenCV's thread pool spins before its threads sleep (2000 and 10000 pause loops by default): between frames that
# come every 16-33 ms the spinning is CPU that does nothing (1080p30: its pool thread's CPU fell from ~3.1 to ~1.9 s
# in 12 s). Read when cv2 loads, so set before anything imports it; a user's own setting wins.
QUIET_OPENCV_POOL = {"OPENCV_THREAD_POOL_ACTIVE_WAIT_WORKER": "0", "OPENCV_THREAD_POOL_ACTIVE_WAIT_MAIN": "0"}


def main(argv: list[str] | None = None) -> int:
    import os

    for name, value in QUIET_OPENCV_POOL.items():
        os.environ.setdefault(name, value)
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    _setup_logging(args.verbose)
    if not getattr(args, "func", None):
        parser.print_help()
        return 0
    try:
        return int(args.func(args) or 0)
    except StudioError as exc:
        from studio.core.command import reachable

        print(f"studio: error: {reachable(str(exc))}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `studio ... | head`: the reader left; nothing to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
    except OSError as exc:  # the machine's problem (disk, permissions, a path): a message, not a traceback
        from studio.core.atomic import describe_os_error

        if args.verbose:
            import traceback

            traceback.print_exc()
        why, hint = describe_os_error(exc)
        where = f" {exc.filename}:" if getattr(exc, "filename", None) else ""
        print(f"studio: error:{where} {why}\n  hint: {hint}", file=sys.stderr)
        return 1
    except MemoryError:
        print("studio: error: out of memory\n  hint: close other programs, or use smaller inputs", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("studio: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
