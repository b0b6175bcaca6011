"""What a newcomer reads: every command's --help opens with a description, and hints that suggest a `studio ...`
command write it the way the user's shell can run it (after `make run`: .venv/bin/studio)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from studio.cli.main import build_parser
from studio.core import command

REPO = Path(__file__).resolve().parents[1]


def _parsers(parser: argparse.ArgumentParser, name: str = "studio"):
    yield name, parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub_name, sub in action.choices.items():
                yield from _parsers(sub, f"{name} {sub_name}")


def test_every_command_has_a_description():
    missing = [name for name, p in _parsers(build_parser()) if not (p.description or "").strip()]
    assert not missing, missing


def test_hints_name_the_command_as_this_shell_reaches_it(monkeypatch):
    script = Path(sys.prefix) / "bin" / "studio"
    if not script.exists():
        import pytest

        pytest.skip("not running from an environment with the studio script")
    monkeypatch.chdir(REPO)
    monkeypatch.setattr(command.shutil, "which", lambda name: None)  # not on PATH: the venv is not activated
    cmd = command.studio_command()
    assert cmd != "studio" and cmd.endswith("studio")
    assert command.reachable("run `studio models fetch u2net` first") == f"run `{cmd} models fetch u2net` first"
    assert command.reachable("the studio app") == "the studio app"  # only commands in backticks
    monkeypatch.setattr(command.shutil, "which", lambda name: str(script))  # activated: plain `studio` works
    assert command.reachable("run `studio models list`") == "run `studio models list`"


def test_the_readme_says_how_to_reach_the_command():
    text = (REPO / "README.md").read_text()
    assert ".venv/bin/studio" in text and "source .venv/bin/activate" in text
