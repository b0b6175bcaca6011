"""How a person types the `studio` command in the shell they are in, for hints that suggest one.

After `make run` the command lives in the project's virtual environment (.venv/bin/studio): it is `studio` only once
that environment is activated. A hint that says "run `studio models fetch rmbg-2`" to someone whose shell cannot
find `studio` sends them on a search; ``reachable`` rewrites such hints with the path that works from here.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
from pathlib import Path

_BACKTICKED = re.compile(r"`studio(?=[ `])")


def studio_command() -> str:
    """"studio" when the shell finds this environment's command; else its path (relative when under the current
    folder, e.g. .venv/bin/studio)."""
    script = Path(sys.prefix) / ("Scripts" if os.name == "nt" else "bin") / ("studio.exe" if os.name == "nt" else
                                                                             "studio")
    found = shutil.which("studio")
    if not script.exists():
        return "studio"
    try:
        if found and Path(found).resolve() == script.resolve():
            return "studio"
    except OSError:
        pass
    try:
        rel = os.path.relpath(script)
    except ValueError:  # another drive (Windows)
        return str(script)
    return rel if not rel.startswith("..") else str(script)


def reachable(text: str) -> str:
    """``text`` with every `studio ...` (in backticks) written as this shell can run it."""
    cmd = studio_command()
    if cmd == "studio" or "`studio" not in text:
        return text
    return _BACKTICKED.sub(f"`{cmd}", text)
