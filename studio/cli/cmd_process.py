"""`studio process`: cut out still images (files, folders, globs) into a folder; exit code = number of failures."""

from __future__ import annotations

import sys
from pathlib import Path

# Product shots and general photos: the salient-object model. The portrait models only know people.
DEFAULT_MODEL = "u2netp"


def register(sub) -> None:
    p = sub.add_parser("process", help="cut out still images (batch, with journal and resume)")
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="image files, folders or glob patterns")
    p.add_argument("--out", required=True, metavar="DIR", help="output folder (created if missing)")
    p.add_argument("--model", default=DEFAULT_MODEL,
                   help=f"model name from `studio models list` (default {DEFAULT_MODEL}: objects and people; "
                        "selfie / selfie-landscape: portraits only, faster)")
    p.add_argument("--backend", default="auto", help="auto, onnxruntime or openvino (default auto)")
    p.add_argument("--device", default="auto", help="device for the backend (default auto)")
    p.add_argument("--format", dest="fmt", default="png", choices=["png", "webp", "jpg"],
                   help="png/webp keep transparency; jpg is composited (white unless --background)")
    p.add_argument("--background", metavar="COLOR|IMAGE",
                   help="put the cutout on a colour (#rrggbb or a name) or a picture instead of transparency")
    p.add_argument("--journal", metavar="FILE",
                   help="JSONL journal; re-running with the same journal skips images already done")
    p.add_argument("--flicker", action="store_true", help="remove banding from mains-powered lights")
    p.add_argument("--white-balance", action="store_true", help="neutralise colour casts (grey-world)")
    p.add_argument("--wb-roi", metavar="x,y,w,h", help="region known to be neutral (grey card, white wall)")
    p.add_argument("--wb-method", default="grey-world", choices=["grey-world", "white-patch"])
    p.set_defaults(func=cmd_process)


def _background(value: str | None):
    if not value:
        return None
    from studio.compose.backgrounds import is_color, parse_color, read_picture

    if is_color(value):
        return parse_color(value)
    return read_picture(Path(value))  # BackgroundError (with a hint) when it is neither


def cmd_process(args) -> int:
    from studio.core.errors import StudioError
    from studio.stills.batch import process_batch
    from studio.stills.preprocess import parse_roi

    if args.wb_roi and not args.white_balance:
        raise StudioError("--wb-roi needs --white-balance", hint="add --white-balance")
    roi = parse_roi(args.wb_roi) if args.wb_roi else None
    result = process_batch(
        args.inputs, Path(args.out), model=args.model, backend=args.backend, device=args.device, fmt=args.fmt,
        background=_background(args.background), journal=args.journal, flicker=args.flicker,
        white_balance_on=args.white_balance, white_balance_roi=roi, wb_method=args.wb_method)
    for path, error in result.failed:
        print(f"failed: {path}: {error}", file=sys.stderr)
    print(f"{len(result.written)} written, {len(result.skipped)} skipped (done before), {len(result.failed)} failed"
          f" in {result.seconds:.1f} s" + (f" [{args.model} on {result.backend}]" if result.backend else ""))
    return min(len(result.failed), 125)
