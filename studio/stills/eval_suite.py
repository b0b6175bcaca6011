"""Every cutout figure in one table, per model and mode (`studio eval --data DIR`), and two such reports side by side
(`studio eval --compare A.json B.json`).

``DIR`` is laid out like ../shared/data: portraits/{img,mask} (regions), matting/{img,alpha} (edges, halo, held
objects), davis/<sequence>/{img,mask} (flicker, halo backgrounds). A missing folder skips its figures with a note.
"""

from __future__ import annotations

import json
from pathlib import Path


def _davis(data: Path) -> Path | None:
    root = data / "davis"
    if not root.is_dir():
        return None
    seqs = sorted(p for p in root.iterdir() if (p / "img").is_dir() and (p / "mask").is_dir())
    return seqs[0] if seqs else None


def run_suite(data_dir: str | Path, *, model: str = "selfie", quality: str = "fast", refine: bool = True,
              backend: str = "auto", device: str = "auto", limit: int | None = None,
              progress: bool | None = None) -> dict:
    from studio.stills.cutout import Cutter
    from studio.stills.eval_edges import evaluate_edges
    from studio.stills.eval_flicker import evaluate_sequence
    from studio.stills.eval_halo import evaluate_halo
    from studio.stills.eval_held import evaluate_held
    from studio.stills.evaluate import evaluate

    data = Path(data_dir)
    portraits, matting, davis = data / "portraits", data / "matting", _davis(data)
    report: dict = {"model": model, "quality": quality, "refine": "guided" if refine else "none", "skipped": []}
    if (portraits / "img").is_dir():
        res = evaluate(portraits / "img", portraits / "mask", model=model, backend=backend, device=device,
                       limit=limit, refine=refine, progress=progress, quality=quality)
        report["backend"] = res.backend
        report["portraits"] = res.summary()
    else:
        report["skipped"].append("portraits (regions)")
    if (matting / "img").is_dir():
        report["edges"] = evaluate_edges(matting, limit=limit)
        if davis is not None:
            report["halo"] = evaluate_halo(matting, davis, limit=limit)
        if (portraits / "img").is_dir():
            with Cutter(model, backend, device, quality=quality) as cutter:
                report["held"] = evaluate_held(lambda bgr: cutter.cut(bgr, refine=refine).alpha, portraits,
                                               matting, limit=limit)
    else:
        report["skipped"].append("matting (edges, halo, held objects)")
    if davis is not None:
        report["flicker"] = evaluate_sequence(davis / "img", davis / "mask", model=model, backend=backend,
                                              device=device, limit=limit)
    else:
        report["skipped"].append("davis (flicker)")
    return report


def report_lines(r: dict) -> list[str]:
    from studio.stills.eval_edges import edge_lines
    from studio.stills.eval_flicker import flicker_lines
    from studio.stills.eval_halo import halo_lines
    from studio.stills.eval_held import held_lines
    from studio.stills.eval_regions import region_lines

    out = [f"model {r['model']}, quality {r['quality']}, refine {r['refine']}" +
           (f" on {r['backend']}" if r.get("backend") else "")]
    p = r.get("portraits")
    if p:
        out.append(f"  portraits: {p['count']} pictures, MAE {p['mae']:.4f}, boundary F {p['boundary_f']:.4f}, "
                   f"{p['seconds_per_image'] * 1000:.0f} ms per picture")
        out += region_lines(p["regions"])
    if "edges" in r:
        out += edge_lines(r["edges"])
    if "halo" in r:
        out += halo_lines(r["halo"])
    if "held" in r:
        out += held_lines(r["held"])
    if "flicker" in r:
        out += flicker_lines(r["flicker"])
    for s in r.get("skipped", []):
        out.append(f"  skipped: {s} (folder not found)")
    return out


def _flatten(d, prefix: str = "") -> dict[str, float]:
    out: dict[str, float] = {}
    for k, v in d.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(_flatten(v, key + "."))
        elif isinstance(v, (int, float)) and not isinstance(v, bool):
            out[key] = float(v)
    return out


def compare_lines(a: dict, b: dict, names: tuple[str, str] = ("A", "B")) -> list[str]:
    """Every number the two reports share, side by side with B - A."""
    fa, fb = _flatten(a), _flatten(b)
    keys = [k for k in fa if k in fb and not k.endswith(("count", "tolerance_px", "factor", "band_px", "strength"))]
    label = lambda r: f"{r.get('model', '?')}/{r.get('quality', '?')}/{r.get('refine', '?')}"  # noqa: E731
    width = max([len(k) for k in keys] + [10])
    names = tuple(Path(n).name for n in names)
    out = [f"{'':{width}s}  {names[0][-24:]:>24s}  {names[1][-24:]:>24s}  {'B - A':>10s}",
           f"{'':{width}s}  {label(a)[-24:]:>24s}  {label(b)[-24:]:>24s}"]
    for k in keys:
        out.append(f"{k:{width}s}  {fa[k]:24.4f}  {fb[k]:24.4f}  {fb[k] - fa[k]:+10.4f}")
    return out


def load_report(path: str | Path) -> dict:
    from studio.core.errors import StudioError

    p = Path(path)
    try:
        data = json.loads(p.read_text())
    except (OSError, ValueError) as exc:
        raise StudioError(f"cannot read an eval report from {p}: {exc}",
                          hint="give files written by `studio eval ... --json > FILE`") from None
    if not isinstance(data, dict):
        raise StudioError(f"{p} is not an eval report", hint="give files written by `studio eval ... --json`")
    return data
