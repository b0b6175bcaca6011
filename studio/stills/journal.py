"""The batch journal: append-only JSON lines, one per picture, that let a re-run skip what is already done.

A record counts as done only for the same input, the same output, the same model and the same settings (format,
background, preprocessing, mask-only ...), and while the output is still there: a re-run with another model redoes
every picture. A file that is not a journal (a picture given by mistake, a text file) is refused before anything is
written to it; a torn last line (a crash mid-write) is ignored.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from studio.core.atomic import WriteError
from studio.core.errors import StudioError


class JournalError(StudioError):
    """The journal file cannot be used (not a journal, a folder, unreadable)."""


def settings_key(settings: dict) -> str:
    """A short stable fingerprint of the settings that change an output."""
    text = json.dumps(settings, sort_keys=True, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def _read_records(path: Path) -> list[dict]:
    try:
        raw = path.read_bytes()
    except IsADirectoryError:
        raise JournalError(f"journal {path} is a folder", hint="give a file name for the journal") from None
    except OSError as exc:
        raise JournalError(f"cannot read journal {path}: {exc.strerror or exc}",
                           hint="check the path and its permissions") from None
    not_journal = JournalError(f"{path} is not a Studio journal; it was left untouched",
                               hint="give a new file name (it is created) or the journal of an earlier run")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise not_journal from None
    lines = [ln for ln in text.splitlines() if ln.strip()]
    records = []
    for i, line in enumerate(lines):
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            if i == len(lines) - 1 and records:
                continue  # a torn last line: the run was killed mid-write
            raise not_journal from None
        if not isinstance(rec, dict) or "input" not in rec or "status" not in rec:
            raise not_journal
        records.append(rec)
    return records


class Journal:
    """Open (or create) the journal at ``path``; ``settings`` are recorded with every line and must match for a
    record to count as done."""

    def __init__(self, path: Path, model: str = "", settings: dict | None = None) -> None:
        self.path = Path(path)
        self.model = model
        self.settings = dict(settings or {})
        self.key = settings_key({"model": model, **self.settings})
        self.done: dict[str, str] = {}  # resolved input path -> output path, for ok records with this key
        self.other_settings = 0  # ok records of another model or other settings (they will be redone)
        if self.path.exists():
            for rec in _read_records(self.path):
                if rec.get("status") != "ok" or "output" not in rec:
                    continue
                if rec.get("key", self._legacy_key(rec)) == self.key:
                    self.done[rec["input"]] = rec["output"]
                else:
                    self.other_settings += 1
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fh = open(self.path, "a", encoding="utf-8")
        except OSError as exc:
            raise WriteError(self.path, exc, what="journal") from None
        self._needs_newline = self._ends_without_newline()

    def _legacy_key(self, rec: dict) -> str | None:
        # Records written before settings were journalled carry only the model: done for that model and the
        # default settings is the best reading of them.
        return self.key if rec.get("model") == self.model and not self.settings.get("only_mask") else None

    def _ends_without_newline(self) -> bool:
        try:
            with open(self.path, "rb") as fh:
                fh.seek(0, os.SEEK_END)
                if fh.tell() == 0:
                    return False
                fh.seek(-1, os.SEEK_END)
                return fh.read(1) != b"\n"
        except OSError:
            return False

    def is_done(self, input_path: Path, output_path: Path) -> bool:
        out = self.done.get(str(input_path.resolve()))
        return out is not None and out == str(output_path.resolve()) and output_path.is_file()

    def write(self, record: dict) -> None:
        record = {**record, "model": self.model, "settings": self.settings, "key": self.key}
        try:
            if self._needs_newline:  # after a torn line, start a fresh one
                self._fh.write("\n")
                self._needs_newline = False
            self._fh.write(json.dumps(record, sort_keys=False, default=str) + "\n")
            self._fh.flush()
            os.fsync(self._fh.fileno())
        except OSError as exc:
            raise WriteError(self.path, exc, what="journal") from None

    def close(self) -> None:
        try:
            self._fh.close()
        except OSError:
            pass
