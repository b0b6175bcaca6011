"""Waiting for a condition in tests: poll with a deadline (never a bare sleep as synchronisation)."""

from __future__ import annotations

import time


def wait_for(cond, timeout: float = 20.0, what: str = "condition") -> None:
    """Return as soon as ``cond()`` is true; fail the test after ``timeout`` seconds (only reached on a bug)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")
