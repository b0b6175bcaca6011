"""Write a file so that a crash leaves either the old file or the new one, never half of one.

Files get the permissions any other program's would (0666 less the umask, or the mode of the file they replace),
not the 0600 of a temporary file. A failure is a ``WriteError`` that names the file asked for, never the temporary
one, and says what to do; ``check_writable`` asks the same question before a long run rather than after it.
"""

from __future__ import annotations

import errno
import os
import tempfile
import threading
from contextlib import contextmanager
from pathlib import Path

from studio.core.errors import StudioError

TEMP_SUFFIX = ".tmp"

# errno -> (what happened, what to do)
_REASONS = {
    errno.ENOSPC: ("the disk is full", "free some space or write to another disk"),
    errno.EDQUOT: ("the disk quota is used up", "free some space or write to another disk"),
    errno.EROFS: ("the file system is read-only", "write to a folder on a writable disk"),
    errno.EACCES: ("permission denied", "write to a folder you can write to, or change its permissions"),
    errno.EPERM: ("permission denied", "write to a folder you can write to, or change its permissions"),
    errno.ENOTDIR: ("a part of the path is a file, not a folder", "check the path"),
    errno.EEXIST: ("a part of the path is a file, not a folder", "check the path"),
    errno.EISDIR: ("it is a folder", "give a file name, not a folder"),
    errno.ENOENT: ("the folder cannot hold files", "write to an ordinary folder"),
    errno.ENAMETOOLONG: ("the name is too long", "use a shorter path"),
    errno.EFBIG: ("the file is larger than this process may write", "raise the file size limit (ulimit -f)"),
}

# Errors after which no further write to the same disk can succeed: a batch stops at the first one.
DISK_ERRNOS = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EFBIG})


def describe_os_error(exc: OSError) -> tuple[str, str]:
    """(what happened, what to do) for an OSError, in words."""
    if exc.errno in _REASONS:
        return _REASONS[exc.errno]
    return (exc.strerror or str(exc)), "check the path, the disk and the permissions"


class WriteError(StudioError, OSError):
    """A file could not be written. Also an OSError (with the original errno), for callers that catch those."""

    def __init__(self, dest: Path | str, exc: OSError | None = None, *, reason: str = "", hint: str = "",
                 what: str = "") -> None:
        why, todo = describe_os_error(exc) if exc is not None else ("", "")
        label = f"{what} {dest}" if what else str(dest)
        StudioError.__init__(self, f"cannot write {label}: {reason or why}", hint or todo)
        self.errno = exc.errno if exc is not None else None
        self.strerror = exc.strerror if exc is not None else None
        self.filename = str(dest)
        self.dest = Path(dest)

    @property
    def disk_problem(self) -> bool:
        return self.errno in DISK_ERRNOS


_umask_lock = threading.Lock()


def current_umask() -> int:
    """The process umask, read without changing it (Linux /proc), else by the set-and-restore dance under a lock."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    with _umask_lock:
        old = os.umask(0o022)
        os.umask(old)
    return old


def file_mode(dest: Path) -> int:
    """The mode a new file at ``dest`` should have: that of the file it replaces, else 0666 less the umask."""
    try:
        return dest.stat().st_mode & 0o7777
    except OSError:
        return 0o666 & ~current_umask()


def temp_pattern(dest: Path | str) -> str:
    """Glob (in dest's folder) for the temporary files ``atomic_path`` makes for ``dest``."""
    return f".{Path(dest).name}.*{TEMP_SUFFIX}"


def remove_stale_temps(dest: Path | str) -> int:
    """Remove temporaries a killed run left beside ``dest`` (default-suffix ones); returns how many."""
    dest = Path(dest)
    n = 0
    try:
        for p in dest.parent.glob(temp_pattern(dest)):
            if p.is_file():
                p.unlink(missing_ok=True)
                n += 1
    except OSError:
        pass
    return n


def _make_parent(dest: Path) -> None:
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise WriteError(dest, reason=f"{_first_file_in(dest.parent)} is a file, not a folder",
                         hint="choose another folder") from None
    except OSError as exc:
        raise WriteError(dest, exc) from None


def _first_file_in(folder: Path) -> Path:
    for p in [*reversed(folder.parents), folder]:
        if p.exists() and not p.is_dir():
            return p
    return folder


@contextmanager
def atomic_path(dest: Path | str, suffix: str | None = None):
    """Yield a temporary path beside ``dest``; on success it is fsynced and renamed onto ``dest``. OSErrors from
    here (and from the caller's writing to the temporary path) come out as ``WriteError`` naming ``dest``."""
    dest = Path(dest)
    if dest.is_dir():
        raise WriteError(dest, reason="it is a folder", hint="give a file name, not a folder")
    _make_parent(dest)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=suffix or dest.suffix + TEMP_SUFFIX,
                                   dir=dest.parent)
    except OSError as exc:
        raise WriteError(dest, exc) from None
    tmp_path = Path(tmp)
    try:
        try:
            os.fchmod(fd, file_mode(dest))
        except OSError:
            pass
        os.close(fd)
        try:
            yield tmp_path
            with open(tmp_path, "rb+") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp_path, dest)
        except WriteError:
            raise
        except OSError as exc:
            raise WriteError(dest, exc) from None
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_bytes_atomic(dest: Path | str, data: bytes) -> None:
    with atomic_path(dest) as tmp:
        tmp.write_bytes(data)


def write_text_atomic(dest: Path | str, text: str) -> None:
    write_bytes_atomic(dest, text.encode("utf-8"))


def check_folder_writable(folder: Path | str, what: str = "folder") -> Path:
    """``check_writable`` for files to be written inside ``folder`` (which may not exist yet)."""
    folder = Path(folder).expanduser()
    try:
        check_writable(folder / ".studio-check", what)
    except WriteError as exc:
        raise WriteError(folder, reason=exc.message.rpartition(": ")[2], hint=exc.hint, what=what) from None
    return folder


def check_writable(dest: Path | str, what: str = "") -> Path:
    """Raise ``WriteError`` now if a file could not be written at ``dest`` later (a folder in the way, a file where a
    folder should be, a read-only or full disk, /proc). Creates nothing that stays; returns ``dest`` expanded."""
    dest = Path(dest).expanduser()
    if dest.is_dir():
        raise WriteError(dest, reason="it is a folder", hint="give a file name, not a folder", what=what)
    folder = dest.parent
    while not folder.exists():
        if folder == folder.parent:
            break
        folder = folder.parent
    if not folder.is_dir():
        raise WriteError(dest, reason=f"{folder} is a file, not a folder", hint="choose another folder", what=what)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".studio-check.", suffix=TEMP_SUFFIX, dir=folder)
    except OSError as exc:
        raise WriteError(dest, exc, what=what) from None
    try:
        os.write(fd, b"\0" * 4096)  # a full disk often lets an empty file be made; a block shows it
        os.fsync(fd)
    except OSError as exc:
        raise WriteError(dest, exc, what=what) from None
    finally:
        os.close(fd)
        try:
            os.unlink(tmp)
        except OSError:
            pass
    return dest
