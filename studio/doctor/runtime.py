"""What the live job runs: the settings file, the inference runtimes and what `auto` picks on this box, the model
files with their checksums, and the engine cache."""

from __future__ import annotations

import os
import time
from pathlib import Path

import numpy as np

from studio.core import paths
from studio.core.errors import StudioError
from studio.doctor.report import FAIL, INFO, OK, WARN, Check

REINSTALL = "reinstall Studio (in a checkout: python installers/vendor_models.py)"


def check_settings(path: Path | None = None):
    """(Check, Settings or None). A file that does not parse or holds a bad value stops every command at start-up."""
    from studio.config.settings import Settings, load_settings

    path = path or paths.settings_path()
    data = {"path": str(path), "exists": path.is_file()}
    if not path.is_file():
        return Check("settings", "Settings file", INFO, f"{path} does not exist yet: defaults apply (the app writes "
                     "it on the first save)", "", data), Settings()
    try:
        settings = load_settings(path).validate()
    except StudioError as exc:
        data["error"] = exc.message
        return Check("settings", "Settings file", FAIL, f"{path} cannot be used: {exc.message.splitlines()[0]}",
                     f"mv '{path}' '{path}.bak' (Studio starts on defaults and writes a fresh file on the next "
                     "save), or fix the named value", data), None
    return Check("settings", "Settings file", OK, f"{path} parses; model {settings.inference.model} on "
                 f"{settings.inference.backend}/{settings.inference.device}", "", data), settings


def check_backends() -> tuple[Check, dict[str, list[str]]]:
    from studio.inference.registry import auto_order, available_backends

    available = available_backends()
    data = {"available": available, "auto_order": [f"{n}:{d}" for n, d in auto_order()]}
    listing = "; ".join(f"{n}: {', '.join(d) if d else 'not installed'}" for n, d in available.items())
    if not any(available.values()):
        return Check("backends", "Inference runtimes", FAIL, f"no runtime can run a model ({listing})",
                     "pip install onnxruntime openvino (into Studio's environment)", data), available
    return Check("backends", "Inference runtimes", OK, listing, "", data), available


def check_auto(model: str, backend: str = "auto", device: str = "auto") -> Check:
    """Opens the live job's model the way the live job does and runs it once: what `auto` really picks here."""
    from studio.inference import open_segmenter

    data = {"model": model, "backend": backend, "device": device}
    t0 = time.perf_counter()
    try:
        seg = open_segmenter(model, backend, device)
    except StudioError as exc:
        data["error"] = exc.message
        return Check("auto", "Model on a runtime", FAIL, f"{model} on {backend}/{device} cannot be opened: "
                     f"{exc.message.splitlines()[0]}", exc.hint or "pip install onnxruntime openvino", data)
    try:
        load_s = time.perf_counter() - t0
        seg.segment(np.zeros((480, 640, 3), np.uint8))  # the first run may compile: not timed
        result = seg.segment(np.zeros((480, 640, 3), np.uint8))
        report = seg.report
        data.update(chosen=seg.backend_label,
                    reason=report.reason if report else "", load_ms=round(load_s * 1000, 1),
                    infer_ms=round(result.total_seconds * 1000, 2),
                    tried=[{"backend": n, "device": d, "error": e} for n, d, e in (report.tried if report else [])])
    except StudioError as exc:
        data["error"] = exc.message
        return Check("auto", "Model on a runtime", FAIL, f"{model} opened but does not run: {exc.message}",
                     exc.hint or "try another runtime: studio cam --backend onnxruntime", data)
    finally:
        seg.close()
    return Check("auto", "Model on a runtime", OK, f"{backend} picks {data['chosen']} for {model} (load "
                 f"{data['load_ms']:.0f} ms, one 640x480 frame {data['infer_ms']:.1f} ms)", "", data)


def check_models(live_model: str) -> Check:
    from studio.models.registry import ModelRegistry

    try:
        registry = ModelRegistry.load()
    except StudioError as exc:
        return Check("models", "Models", FAIL, exc.message.splitlines()[0], exc.hint or REINSTALL,
                     {"error": exc.message})
    rows, bad_embedded, live_bad = [], [], None
    for spec in registry.specs():
        st = registry.status(spec.name)
        state = ("absent" if not st.present else "checksum mismatch" if st.sha256_ok is False else
                 "ok" if st.sha256_ok else "present (no pinned checksum)")
        rows.append({"name": spec.name, "kind": spec.kind, "embedded": spec.embedded, "state": state,
                     "sha256": st.actual_sha256, "path": str(spec.path()), "size_bytes": st.size_bytes})
        broken = state in ("absent", "checksum mismatch")
        if broken and spec.name == live_model:
            live_bad = (spec, state)
        elif broken and spec.embedded:
            bad_embedded.append(f"{spec.name} ({state})")
    data = {"models": rows, "registry": str(registry.source), "live_model": live_model}
    if live_model not in registry:
        return Check("models", "Models", FAIL, f"the settings name model {live_model!r}, which the registry does "
                     f"not know ({', '.join(registry.names())})", "set inference.model in the settings file to "
                     "one of those (or studio cam --model selfie)", data)
    if live_bad:
        spec, state = live_bad
        fix = (f"put the file at {spec.path()} (from {spec.download.repo_id}: {spec.download.filename})"
               if spec.download and not spec.embedded else REINSTALL)
        return Check("models", "Models", FAIL, f"the live model {spec.name} is {state}: {spec.path()}", fix, data)
    ok = [r["name"] for r in rows if r["state"] == "ok"]
    absent = [r["name"] for r in rows if r["state"] == "absent" and not r["embedded"]]
    summary = f"{len(ok)} verified by sha256 ({', '.join(ok)})" + (
        f"; on request only, not downloaded: {', '.join(absent)}" if absent else "")
    if bad_embedded:
        return Check("models", "Models", WARN, f"{summary}; broken: {', '.join(bad_embedded)}", REINSTALL, data)
    return Check("models", "Models", OK, summary, "", data)


def _size(folder: Path) -> int:
    total = 0
    for p in folder.rglob("*"):
        try:
            total += p.stat().st_size if p.is_file() else 0
        except OSError:
            continue
    return total


def check_engines(known_sha256: set[str] | None = None, root: Path | None = None) -> Check:
    """engines/<runtime>/<model sha256[:12]>-<device>-<digest>: what is cached, for which model, and stale entries
    (a model no longer in the registry). A runtime or device change already gives a new folder (inference.cache)."""
    root = root or paths.engines_dir()
    if known_sha256 is None:
        from studio.models.registry import ModelRegistry

        try:
            reg = ModelRegistry.load()
            known_sha256 = {s.sha256.lower() for s in reg.specs() if s.sha256}
        except StudioError:
            known_sha256 = set()
    prefixes = {s[:12] for s in known_sha256}
    entries, stale = [], []
    runtimes = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    for rt in runtimes:
        for e in sorted(p for p in rt.iterdir() if p.is_dir()):
            row = {"runtime": rt.name, "folder": e.name, "bytes": _size(e), "stale": e.name[:12] not in prefixes}
            entries.append(row)
            if row["stale"]:
                stale.append(str(e))
    parent = root if root.exists() else next((p for p in root.parents if p.exists()), root)
    writable = os.access(parent, os.W_OK)
    data = {"path": str(root), "exists": root.is_dir(), "writable": writable, "entries": entries, "stale": stale}
    if not writable:
        return Check("engines", "Engine cache", WARN, f"{root} is not writable: compiled engines are rebuilt on "
                     "every start", f"export STUDIO_ENGINES_DIR=<a writable folder> (or fix the rights on {parent})",
                     data)
    if not entries:
        return Check("engines", "Engine cache", INFO, f"{root}: empty (runtimes fill it on first use)", "", data)
    size = sum(r["bytes"] for r in entries) / 1e6
    summary = f"{root}: {len(entries)} cached engine(s), {size:.1f} MB"
    if stale:
        return Check("engines", "Engine cache", WARN, f"{summary}; {len(stale)} for models no longer present",
                     "rm -rf " + " ".join(f"'{s}'" for s in stale), data)
    return Check("engines", "Engine cache", OK, summary, "", data)
