"""Refuse a Qt binding known to crash, with a message that says what to install instead.

PySide6 6.12.0 returns None/True/False from C++ calls without taking a reference. On Python 3.12+ those objects are
immortal and nothing happens; on 3.10/3.11 every `signal.emit()` or void call (setText, singleShot...) drops one
reference, and after a few thousand calls the interpreter aborts ("Fatal Python error: none_dealloc" or
"bool_dealloc"). Measured here: 100 emits lower sys.getrefcount(True) by 100 on 6.12.0, by 0 on 6.11.3 and 6.10.1.
"""

from __future__ import annotations

import sys

from studio.core.errors import StudioError

BROKEN = {(6, 12, 0)}


def check_binding(version: str | None = None, python: tuple[int, int] | None = None) -> None:
    if version is None:
        import PySide6

        version = PySide6.__version__
    python = python or sys.version_info[:2]
    parts = tuple(int(p) for p in version.split(".")[:3] if p.isdigit())
    if parts in BROKEN and python < (3, 12):
        raise StudioError(
            f"PySide6 {version} crashes on Python {python[0]}.{python[1]} (a reference-counting bug in the binding)",
            hint='install another version: pip install "PySide6-Essentials>=6.6,!=6.12.0" (6.11.3 works), '
                 "or use Python 3.12 or newer")
