"""`studio bench encode`: time and size of each cutout encoder setting, on real cutouts.

The cutouts are the portraits of the test material with their truth masks as alpha (no model runs, so only the
encoder is timed), written the way `studio process` writes them (studio.stills.imageio.encode_cutout). Every setting
encodes every picture in one interleaved loop (setting order reversed on odd rounds), so the shared box's noise falls
on all of them alike. The figures chose the defaults in imageio.ENCODER_PARAMS.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import cv2
import numpy as np

from studio.bench.models import positive_int
from studio.core import paths

# name -> (format, cv2 params); what `studio process` writes is marked in the table with "*"
SETTINGS: dict[str, tuple[str, list[int]]] = {
    "png-1": ("png", [cv2.IMWRITE_PNG_COMPRESSION, 1]),
    "png-3": ("png", [cv2.IMWRITE_PNG_COMPRESSION, 3]),
    "png-6": ("png", [cv2.IMWRITE_PNG_COMPRESSION, 6]),
    "png-9": ("png", [cv2.IMWRITE_PNG_COMPRESSION, 9]),
    "png-3-rle": ("png", [cv2.IMWRITE_PNG_COMPRESSION, 3, cv2.IMWRITE_PNG_STRATEGY, cv2.IMWRITE_PNG_STRATEGY_RLE]),
    "webp-80": ("webp", [cv2.IMWRITE_WEBP_QUALITY, 80]),
    "webp-92": ("webp", [cv2.IMWRITE_WEBP_QUALITY, 92]),
    "webp-lossless": ("webp", [cv2.IMWRITE_WEBP_QUALITY, 101]),
}


def register(sub) -> None:
    p = sub.add_parser("encode", help="time and size of each PNG/WebP encoder setting on real cutouts",
                       description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", type=Path, default=None,
                   help="test material folder holding portraits/img and portraits/mask (default: shared/data beside "
                        "the repository; $STUDIO_SHARED_DATA overrides)")
    p.add_argument("--pictures", type=positive_int, default=40, help="portraits used (default 40)")
    p.add_argument("--rounds", type=positive_int, default=3, help="interleaved rounds; the median is reported (default 3)")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(func=run)


def load_cutouts(folder: Path, count: int, *, clear_hidden: bool) -> list[np.ndarray]:
    """BGRA cutouts of the first ``count`` portraits that have a truth mask."""
    from studio.compose.blend import to_bgra

    out = []
    for img_path in sorted((folder / "img").iterdir()):
        mask_path = folder / "mask" / f"{img_path.stem}.png"
        bgr = cv2.imread(str(img_path), cv2.IMREAD_COLOR)
        mask = cv2.imread(str(mask_path), cv2.IMREAD_GRAYSCALE) if mask_path.is_file() else None
        if bgr is None or mask is None:
            continue
        if mask.shape != bgr.shape[:2]:
            mask = cv2.resize(mask, bgr.shape[1::-1], interpolation=cv2.INTER_NEAREST)
        # A soft edge like a model's: the truth masks are binary
        alpha = cv2.GaussianBlur(mask.astype(np.float32) / 255.0, (5, 5), 0)
        out.append(to_bgra(bgr, alpha, clear_hidden=clear_hidden))
        if len(out) >= count:
            break
    return out


def measure(cutouts: list[np.ndarray], rounds: int) -> dict[str, dict]:
    names = list(SETTINGS)
    times: dict[str, list[float]] = {n: [] for n in names}
    sizes: dict[str, int] = {}
    for r in range(rounds):
        for name in (names if r % 2 == 0 else names[::-1]):
            fmt, params = SETTINGS[name]
            total = 0
            t0 = time.perf_counter()
            for img in cutouts:
                ok, buf = cv2.imencode("." + fmt, img, params)
                total += buf.size
            times[name].append((time.perf_counter() - t0) / len(cutouts))
            sizes[name] = total // len(cutouts)
    return {n: {"ms_per_picture": round(statistics.median(times[n]) * 1e3, 2), "kb_per_picture": round(sizes[n] / 1024, 1)}
            for n in names}


def run(args) -> int:
    from studio.core.errors import StudioError
    from studio.stills.imageio import ENCODER_PARAMS

    data = args.data or paths.shared_data_dir()
    if data is None or not (Path(data) / "portraits" / "img").is_dir():
        raise StudioError("no portraits found", hint="pass --data pointing at the folder that holds portraits/")
    result = {}
    for clear in (False, True):
        cutouts = load_cutouts(Path(data) / "portraits", args.pictures, clear_hidden=clear)
        if not cutouts:
            raise StudioError("no portrait with a truth mask found", hint="check portraits/img and portraits/mask")
        result["hidden colour cleared" if clear else "hidden colour kept"] = measure(cutouts, args.rounds)
    if args.json:
        print(json.dumps({"pictures": len(cutouts), "rounds": args.rounds, "results": result}, indent=2))
        return 0
    used = {(fmt, tuple(p)) for fmt, p in ENCODER_PARAMS.items()}
    print(f"{len(cutouts)} portrait cutouts, median of {args.rounds} interleaved rounds; * = what studio process writes")
    for label, rows in result.items():
        print(f"\n{label}:\n{'setting':<16}{'ms/picture':>12}{'KB/picture':>12}")
        for name, row in rows.items():
            mark = "*" if label.endswith("cleared") and (SETTINGS[name][0], tuple(SETTINGS[name][1])) in used else ""
            print(f"{name + mark:<16}{row['ms_per_picture']:>12.2f}{row['kb_per_picture']:>12.1f}")
    return 0
