"""`studio process --watch IN --out OUT`: cut out pictures as they arrive in a folder (a camera tool, a scanner, a
network share drops them there), once each, only once they are completely written.

File events come from watchfiles (inotify/FSEvents/ReadDirectoryChangesW through the Rust ``notify`` crate; polling
where those do not work, e.g. some network shares: ``force_polling``). A picture is taken when its size and mtime
have not moved for ``settle_s`` seconds. A writer can pause longer than that, so a picture that then fails to decode
(a truncated JPEG/PNG) is not a failure yet: it waits for its next change, and is recorded as failed only when it
has stayed unreadable and unchanged for ``give_up_s``. Each picture is cut out once per content (path, size, mtime);
the journal makes a restart skip what is done. Ctrl-C (or ``stop``) ends the watch cleanly: the picture in hand is
finished or not written at all (atomic writes), the journal and the model are closed.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Callable

from studio.core.errors import StudioError
from studio.stills.inputs import BatchItem

log = logging.getLogger(__name__)

SETTLE_S = 1.0  # unchanged this long = completely written
GIVE_UP_S = 60.0  # an unreadable picture unchanged this long is recorded as failed
TICK_MS = 200  # how often pending pictures are looked at when no event arrives


def _is_candidate(path: Path) -> bool:
    from studio.stills.imageio import IMAGE_SUFFIXES

    return path.suffix.lower() in IMAGE_SUFFIXES and not path.name.startswith(".")


def _stamp(path: Path) -> tuple[int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_size, st.st_mtime_ns) if path.is_file() else None


class _Namer:
    """Output names as ``plan_outputs`` gives them, one picture at a time (arrival order decides the suffixes)."""

    def __init__(self, inbox: Path, out_dir: Path, fmt: str, recursive: bool) -> None:
        self.inbox, self.out_dir, self.fmt, self.recursive = inbox, out_dir, fmt, recursive
        self.names: dict[Path, Path] = {}
        self.taken: set[str] = set()

    def __call__(self, path: Path) -> Path:
        if path in self.names:
            return self.names[path]
        sub = path.parent.relative_to(self.inbox) if self.recursive else Path(".")
        folder = self.out_dir / sub
        ext = path.suffix.lstrip(".").lower()
        name, n = f"{path.stem}.{self.fmt}", 1
        while str(folder / name).lower() in self.taken:
            n += 1
            name = f"{path.stem}_{ext}.{self.fmt}" if n == 2 else f"{path.stem}_{ext}_{n - 1}.{self.fmt}"
        self.taken.add(str(folder / name).lower())
        self.names[path] = folder / name
        return folder / name


def watch_folder(inbox: str | Path, out_dir: str | Path, *, model: str = "u2netp", backend: str = "auto",
                 device: str = "auto", options=None, journal: str | Path | None = None, recursive: bool = False,
                 settle_s: float = SETTLE_S, give_up_s: float = GIVE_UP_S, stop_event=None,
                 on_record: Callable[[BatchItem, dict], None] | None = None, force_polling: bool | None = None,
                 precision: str | None = None):
    """Watch ``inbox`` until Ctrl-C or ``stop_event.set()``; returns a BatchResult for what was done."""
    import watchfiles

    from studio.stills.batch import BatchOptions, BatchResult
    from studio.stills.cutout import Cutter
    from studio.stills.engine import records
    from studio.stills.journal import Journal

    inbox, out_dir = Path(inbox), Path(out_dir)
    if not inbox.is_dir():
        raise StudioError(f"--watch needs a folder: {inbox} is not one", hint="give the inbox folder to watch")
    opts = options or BatchOptions()
    result = BatchResult()
    namer = _Namer(inbox, out_dir, opts.fmt, recursive)
    pending: dict[Path, tuple[tuple[int, int], float]] = {}  # path -> (stamp, when it last changed)
    deferred: dict[Path, tuple[tuple[int, int], float]] = {}  # unreadable: waiting for a change (or give_up_s)
    done: set[tuple[Path, tuple[int, int]]] = set()
    final: set[Path] = set()  # deferred too long: the next failure is recorded
    t0 = time.perf_counter()
    jr = Journal(Path(journal), model, opts.journal_settings()) if journal else None
    try:
        with Cutter.for_batch(model, backend, device, opts, precision) as cutter:
            result.backend = cutter.backend_label

            def note(path: Path, now: float) -> None:
                stamp = _stamp(path)
                if stamp is None or (path, stamp) in done:
                    pending.pop(path, None)
                    return
                if path in deferred and deferred[path][0] == stamp:
                    return
                deferred.pop(path, None)
                if path not in pending or pending[path][0] != stamp:
                    pending[path] = (stamp, now)

            def run(paths: list[Path], now: float) -> None:
                items = [BatchItem(p, namer(p)) for p in paths]
                for it in items:
                    if jr and jr.is_done(it.input, it.output):
                        result.skipped.append(it.input)
                        done.add((it.input, pending.pop(it.input)[0]))
                todo = [it for it in items if it.input in pending]
                for it, record, disk_error in records(todo, cutter, opts, "sequential"):
                    stamp = pending.pop(it.input)[0]
                    late = record["status"] == "failed" and _unreadable(record) and it.input not in final
                    if late and _stamp(it.input) == stamp:
                        deferred[it.input] = (stamp, now)
                        log.info("%s: not readable yet (%s); waiting for the rest of it", it.input, record["error"])
                        continue
                    done.add((it.input, stamp))
                    final.discard(it.input)
                    if record["status"] == "ok":
                        result.written.append(it.output)
                    else:
                        result.failed.append((it.input, record["error"]))
                    if jr:
                        jr.write(record)
                    if on_record:
                        on_record(it, record)
                    if disk_error is not None:
                        raise disk_error

            now = time.monotonic()
            for p in sorted(inbox.rglob("*") if recursive else inbox.iterdir()):
                if _is_candidate(p):
                    note(p, now - settle_s)  # already there: written before we looked
            for changes in watchfiles.watch(inbox, stop_event=stop_event, rust_timeout=TICK_MS, debounce=TICK_MS,
                                            yield_on_timeout=True, recursive=recursive, raise_interrupt=False,
                                            force_polling=force_polling):
                now = time.monotonic()
                for change, name in changes:
                    p = Path(name)
                    if change != watchfiles.Change.deleted and _is_candidate(p):
                        note(p, now)
                    elif change == watchfiles.Change.deleted:
                        pending.pop(p, None)
                        deferred.pop(p, None)
                for p in list(pending):
                    note(p, now)  # a change the events missed (polling, a network share) restarts the clock
                for p, (stamp, since) in list(deferred.items()):
                    if now - since >= give_up_s:  # unchanged and unreadable all this time: give up on it
                        del deferred[p]
                        pending[p] = (stamp, since)
                        final.add(p)
                ready = sorted(p for p, (_, since) in pending.items() if now - since >= settle_s)
                if ready:
                    run(ready, now)
    except KeyboardInterrupt:
        log.info("watch: interrupted")
    except StudioError as exc:
        if not getattr(exc, "disk_problem", False):
            raise
        result.stopped = exc.message
    finally:
        if jr:
            jr.close()
        result.seconds = time.perf_counter() - t0
    return result


def _unreadable(record: dict) -> bool:
    """A failure that a picture still being written would give (truncated, not identified yet)."""
    text = record.get("error", "")
    return text.startswith("cannot read image") or "truncated" in text

