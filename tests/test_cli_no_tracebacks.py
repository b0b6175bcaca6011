"""Every `studio` subcommand, in its own process, with bad inputs of a user's or a machine's making: each must answer
with a message (and a hint) and a non-zero exit code, never a Python traceback.

Read-only and full disks as root: this suite runs as root here, and root writes into a chmod 0500 folder, so those
stand-ins would prove nothing. What stops root too: a file standing where a folder should be (ENOTDIR/EEXIST), /proc
(takes no new files: ENOENT), /sys (read-only: EROFS or EACCES), and a tiny tmpfs where the box lets a test mount one
(tests/stills/test_process_files.py: ENOSPC, and a file-size limit for any user: EFBIG). A new subcommand must bring
its own bad inputs here (the walk fails on a command it has not been given).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import cv2
import numpy as np
import pytest

from studio.cli.main import build_parser

# (argv, expected exit code: an int, "nonzero", or "any" for commands whose success depends on the box)
CASES: list[tuple[list[str], object]] = [
    ([], 0),
    (["no-such-command"], 2),
    # the app opens on the demo (with a banner) when its source cannot: success is an honest answer there
    (["gui", "--source", "missing.mp4", "--settings", "AFILE/settings.toml", "--quit-after", "0.1"], "any"),
    (["gui", "--settings", "NOT_TOML", "--screenshot", "/proc/shot.png", "--quit-after", "0.1"], "nonzero"),
    (["cam"], 2),
    (["cam", "--source", "nothing-like-this"], 2),
    (["cam", "--source", "/proc/self/mem", "--duration", "1"], 2),
    (["cam", "--source", "/dev/video99", "--duration", "1"], 2),
    (["cam", "--source", "AFILE/clip.mp4", "--duration", "1"], 2),
    (["cam", "--source", "synthetic", "--record", "AFILE/out.mp4", "--duration", "1"], 2),
    (["cam", "--source", "synthetic", "--record", "/proc/out.avi", "--duration", "1"], 2),
    (["cam", "--source", "synthetic", "--record", "out.xyz", "--duration", "1"], 2),
    (["cam", "--source", "synthetic", "--stats-json", "/sys/stats.json", "--duration", "1"], 2),
    (["cam", "--source", "synthetic", "--stats-json", "AFILE/stats.json", "--duration", "1"], 2),
    (["cam", "--source", "synthetic", "--model", "no-such-model", "--duration", "1"], 2),
    (["cam", "--source", "synthetic", "--backend", "tensorrt", "--duration", "1"], 2),
    (["cam", "--source", "synthetic", "--duration", "-1"], 2),
    (["cam", "--source", "synthetic", "--size", "big", "--duration", "1"], 2),
    (["cam", "--source", "synthetic", "--settings", "/nonexistent/settings.toml", "--duration", "1"], 2),
    (["cam", "--source", "synthetic", "--settings", "NOT_TOML", "--duration", "1"], "nonzero"),
    (["cam", "--source", "synthetic", "--background", "missing.png", "--duration", "1"], 2),
    (["cam", "--source", "PICTURE", "--duration", "0.1", "--no-telemetry"], 1),  # too short to segment anything
    (["process", "PICTURE"], 2),
    (["process", "missing.jpg", "-o", "out"], 2),
    (["process", "EMPTY_DIR", "-o", "out"], 2),
    (["process", "AFILE", "-o", "out", "--model", "selfie"], 1),  # not a picture: one failure
    (["process", "PICTURE", "-o", "AFILE/out"], 2),
    (["process", "PICTURE", "-o", "/proc/out"], 2),
    (["process", "PICTURE", "-o", "/sys/out.png"], 2),
    (["process", "EMPTY_DIR", "PICTURE", "-o", "result.png"], 2),
    (["process", "PICTURE", "-o", "out", "--journal", "AFILE/journal.jsonl"], 2),
    (["process", "PICTURE", "-o", "out", "--journal", "PICTURE"], 2),
    (["process", "PICTURE", "-o", "out", "--background", "missing.png"], 2),
    (["process", "PICTURE", "-o", "out", "--white-balance", "--wb-roi", "1,2"], 2),
    (["process", "PICTURE", "-o", "out", "--max-pixels", "0"], 2),
    (["process", "PICTURE", "-o", "out", "--model", "no-such-model"], 2),
    (["process", "-", "-o", "-"], 2),  # nothing on stdin
    (["eval", "--images", "AFILE", "--masks", "AFILE"], 2),
    (["eval", "--images", "EMPTY_DIR", "--masks", "EMPTY_DIR"], 2),
    (["models", "list"], 0),
    (["models", "verify"], "any"),
    (["models", "fetch", "no-such-model"], 2),
    (["models", "convert", "missing.tflite", "out.onnx"], "nonzero"),
    (["models", "convert", "AFILE", "/proc/out.onnx"], 2),
    (["models", "convert", "AFILE", "AFILE/out.onnx"], 2),
    (["models", "convert", "AFILE", "out.onnx"], "nonzero"),  # not a TFLite file
    (["models", "precision", "missing.onnx", "out.onnx", "--plan", "fp16"], 2),
    (["models", "precision", "AFILE", "out.onnx", "--plan", "fp16"], 2),  # not an ONNX file
    (["models", "precision", "AFILE", "/proc/out.onnx", "--plan", "fp16"], 2),
    (["models", "precision", "AFILE", "out.onnx", "--plan", "fp8"], 2),
    (["bench", "--out", "/proc/bench.json"], 2),
    (["bench", "models", "--out", "AFILE/bench.json"], 2),
    (["bench", "--models", "no-such-model", "--runs", "1", "--warmup", "0", "--sizes", "64x48"], 1),
    (["bench", "pipeline", "--out", "AFILE/bench.json"], 2),
    (["bench", "pipeline", "--out", "/sys/bench.json"], 2),
    (["bench", "mask", "--data", "AFILE"], 2),
    (["bench", "encode", "--data", "AFILE"], 2),
    (["bench", "encode", "--pictures", "0"], 2),
    (["bench", "stages", "--sizes", "12xab"], 2),
    (["bench", "stages", "--frames", "0"], 2),
    (["bench", "warp", "--sequence", "AFILE"], 2),
    (["bench", "warp", "--every", "0"], 2),
    (["doctor", "--no-probe", "--no-load", "--json"], "any"),
    (["serve", "--port", "-5"], "nonzero"),
    (["serve", "--host", "0.0.0.0", "--port", "0"], "nonzero"),  # a non-loopback address without a token
]


SAYS_WHY = ("error", "usage", "fail", "hint", "unavailable", "nothing")


def leaf_commands(parser: argparse.ArgumentParser, prefix: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        return [prefix]
    out = []
    for name, sub in subs[0].choices.items():
        out.extend(leaf_commands(sub, prefix + (name,)))
    return out


def test_every_subcommand_has_bad_inputs_here():
    covered = {tuple(argv[:2]) for argv, _ in CASES} | {tuple(argv[:1]) for argv, _ in CASES}
    bench_default = {("bench", "models")} if any(a[:1] == ["bench"] and a[1].startswith("-") for a, _ in CASES) else set()
    missing = [" ".join(c) for c in leaf_commands(build_parser()) if c not in covered | bench_default]
    assert not missing, f"add bad inputs for: {missing}"


@pytest.fixture(scope="module")
def playground(tmp_path_factory):
    d = tmp_path_factory.mktemp("badinputs")
    (d / "afile").write_text("a file standing where a folder should be\n")
    (d / "not.toml").write_text("this is [not toml\n")
    (d / "empty").mkdir()
    img = np.full((120, 160, 3), 200, np.uint8)
    cv2.circle(img, (80, 60), 30, (40, 60, 120), -1)
    cv2.imwrite(str(d / "picture.png"), img)
    return d


def _argv(argv: list[str], d: Path) -> list[str]:
    subst = {"AFILE": str(d / "afile"), "NOT_TOML": str(d / "not.toml"), "EMPTY_DIR": str(d / "empty"),
             "PICTURE": str(d / "picture.png")}
    out = []
    for a in argv:
        for key, value in subst.items():
            if a == key or a.startswith(key + "/"):
                a = value + a[len(key):]
        out.append(a)
    return out


def _run(argv: list[str], cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "STUDIO_TOKEN": ""}
    env.pop("STUDIO_TOKEN")
    return subprocess.run([sys.executable, "-m", "studio.cli.main", *argv], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=120)


def test_no_subcommand_shows_a_traceback_on_bad_input(playground):
    with ThreadPoolExecutor(max_workers=2) as pool:
        runs = list(pool.map(lambda case: (case, _run(_argv(case[0], playground), playground)), CASES))
    problems = []
    for (argv, expected), run in runs:
        text = run.stdout + run.stderr
        label = f"studio {' '.join(argv)} -> {run.returncode}"
        if "Traceback" in text:
            problems.append(f"{label}: traceback\n{text[-1500:]}")
        elif expected == "nonzero" and run.returncode == 0 or isinstance(expected, int) and run.returncode != expected:
            problems.append(f"{label}, expected {expected}\n{text[-600:]}")
        elif run.returncode != 0 and argv and not any(w in text.lower() for w in SAYS_WHY):
            problems.append(f"{label}: non-zero without saying what went wrong\n{text[-600:]}")
    assert not problems, "\n\n".join(problems)


DISK_CASES: list[list[str]] = [
    ["cam", "--source", "synthetic", "--duration", "1", "--stats-json", "DISK/stats.json"],
    ["cam", "--source", "synthetic", "--duration", "1", "--record", "DISK/out.avi"],
    ["process", "PICTURE", "-o", "DISK/out", "--model", "selfie"],
    ["process", "PICTURE", "-o", "out", "--journal", "DISK/journal.jsonl", "--model", "selfie"],
    ["process", "PICTURE", "-o", "DISK/one.png", "--model", "selfie"],
    ["bench", "--out", "DISK/bench.json"],
    ["bench", "pipeline", "--out", "DISK/bench.json"],
    ["models", "convert", "TFLITE", "DISK/model.onnx"],
]


def _mount(where: Path, options: str) -> bool:
    if os.geteuid() != 0:
        return False
    return subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(where)],
                          capture_output=True).returncode == 0


@pytest.mark.parametrize("kind", ["full", "read-only"])
def test_a_full_or_read_only_disk_is_a_message(playground, tmp_path, kind):
    """The real thing, where this box lets a test mount a tiny tmpfs (root with CAP_SYS_ADMIN; skipped otherwise):
    a full one (filled up first) and a read-only one."""
    disk = tmp_path / "disk"
    disk.mkdir()
    if not _mount(disk, "size=64k" if kind == "full" else "ro,size=64k"):
        pytest.skip("cannot mount a tmpfs here (not root, or no CAP_SYS_ADMIN)")
    try:
        if kind == "full":
            with open(disk / "filler", "wb", buffering=0) as fh:
                try:
                    while True:
                        fh.write(b"\0" * 4096)
                except OSError:
                    pass
        tflite = Path(__file__).resolve().parents[1] / "resources" / "models" / "selfie_segmentation.tflite"
        cases = [[a.replace("DISK", str(disk)).replace("TFLITE", str(tflite)) for a in _argv(c, playground)]
                 for c in DISK_CASES]
        with ThreadPoolExecutor(max_workers=2) as pool:
            runs = list(pool.map(lambda argv: (argv, _run(argv, playground)), cases))
        problems = []
        for argv, run in runs:
            text = run.stdout + run.stderr
            if "Traceback" in text or run.returncode == 0 or "hint" not in text:
                problems.append(f"studio {' '.join(argv)} -> {run.returncode}\n{text[-1500:]}")
        assert not problems, "\n\n".join(problems)
        assert not [p for p in disk.rglob("*") if p.name != "filler"]  # no stray temporary files
    finally:
        subprocess.run(["umount", str(disk)], capture_output=True)
