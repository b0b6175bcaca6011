"""`studio process`: cut out still images (files, folders, globs, or stdin) into a folder, one named file, or stdout.
Exit code: 0 when every picture was written, else the number of failures (at most 125); 2 for a usage error."""

from __future__ import annotations

import sys
from pathlib import Path

from studio.core.errors import StudioError
from studio.core.kinds import Quality

# Product shots and general photos: the salient-object model. The portrait models only know people.
DEFAULT_MODEL = "u2netp"
SUFFIX_FORMATS = {".png": "png", ".webp": "webp", ".jpg": "jpg", ".jpeg": "jpg"}


def register(sub) -> None:
    from studio.stills.large import DEFAULT_MAX_PIXELS

    p = sub.add_parser("process", help="cut out still images (batch, with journal and resume)",
                       description="Cut out the subject of still pictures: transparent PNG/WebP, or on a colour or "
                                   "picture. `studio process shots/ -o out/` for a folder, `studio process a.jpg -o "
                                   "a.png` for one picture, `studio process - -o - < in.jpg > out.png` as a filter.")
    p.add_argument("inputs", nargs="+", metavar="INPUT",
                   help="picture files, folders, quoted glob patterns, or - for one picture on stdin")
    p.add_argument("-o", "--out", required=True, metavar="DIR|FILE|-",
                   help="output folder (created if missing); for a single picture also a file name (its suffix "
                        "picks the format) or - for stdout")
    p.add_argument("-r", "--recursive", action="store_true", help="also take the pictures in folders' subfolders "
                                                                  "(their layout is kept under --out)")
    p.add_argument("--model", default=DEFAULT_MODEL,
                   help=f"model name from `studio models list` (default {DEFAULT_MODEL}: objects and people; "
                        "selfie / selfie-landscape: portraits only, faster)")
    p.add_argument("--backend", default="auto", help="auto, onnxruntime or openvino (default auto)")
    p.add_argument("--device", default="auto", help="device for the backend (default auto)")
    p.add_argument("--format", dest="fmt", default=None, choices=["png", "webp", "jpg"],
                   help="png/webp keep transparency; jpg is composited (white unless --background); default png, or "
                        "the suffix of a single output file")
    p.add_argument("--only-mask", action="store_true", help="write the mask (alpha as a grey picture) instead of "
                                                            "the cutout")
    p.add_argument("--background", metavar="COLOR|IMAGE",
                   help="put the cutout on a colour (#rrggbb or a name) or a picture instead of transparency")
    p.add_argument("--journal", metavar="FILE",
                   help="JSONL journal; re-running with the same journal skips pictures already done with the same "
                        "model and settings")
    p.add_argument("--max-pixels", type=int, default=None, metavar="N",
                   help=f"refuse pictures larger than N pixels (default {DEFAULT_MAX_PIXELS:,}, or "
                        "$STUDIO_MAX_PIXELS); large pictures are cut out in bounded memory")
    p.add_argument("--flicker", action="store_true", help="remove banding from mains-powered lights")
    p.add_argument("--white-balance", action="store_true", help="neutralise colour casts (grey-world)")
    p.add_argument("--wb-roi", metavar="x,y,w,h", help="region known to be neutral (grey card, white wall); must "
                                                       "lie inside the picture")
    p.add_argument("--wb-method", default="grey-world", choices=["grey-world", "white-patch"])
    p.add_argument("--quality", default=Quality.FAST.value, choices=Quality.values(),
                   help="best: several looks (mirrored, zoomed on a small subject) and, for a portrait model, the "
                        "salient-object model fused in; about 1 s a picture on two cores (default fast)")
    p.add_argument("--refine", default="guided", choices=["guided", "none"],
                   help="guided: edges follow the picture (default); none: the raw model mask, bilinearly resized")
    p.add_argument("--edge-px", type=int, default=0, metavar="N",
                   help="move the cutout's edge N pixels outward (N < 0: inward, trims a fringe; -8..8)")
    p.add_argument("--engine", default="overlap", choices=["overlap", "sequential", "ray"],
                   help="overlap (default): decode and write on their own threads while the model runs; "
                        "sequential: one picture at a time; ray: many boxes (extra [cluster], docs/cluster.md)")
    p.add_argument("--ray-address", metavar="ADDR", help="the Ray cluster for --engine ray (default $RAY_ADDRESS, "
                                                         "else a local Ray on this machine)")
    p.add_argument("--ray-workers", type=int, metavar="N", help="Ray actors, each with the model open (default: "
                                                                "one per CPU of the cluster)")
    p.add_argument("--precision", choices=["fp32", "bf16"], default=None,
                   help="run the model at this precision (default: the model's own plan, `studio models list`); "
                        "bf16 needs OpenVINO on a CPU with bf16 units; recorded in the journal")
    p.add_argument("--watch", action="store_true",
                   help="watch the one INPUT folder and cut out pictures as they arrive (once each, once completely "
                        "written); with --journal a restart resumes; Ctrl-C stops")
    p.set_defaults(func=cmd_process)


def _background(value: str | None):
    if not value:
        return None
    from studio.compose.backgrounds import is_color, parse_color, read_picture

    if is_color(value):
        return parse_color(value)
    return read_picture(Path(value))  # BackgroundError (with a hint) when it is neither


def _single_input(inputs: list[str]) -> bool:
    return len(inputs) == 1 and (inputs[0] == "-" or Path(inputs[0]).is_file())


def _plan_output(args) -> tuple[str, Path | None, Path | None]:
    """(format, folder, single file) from --out; refuses a file name where several pictures may come."""
    from studio.cli.preflight import check_output

    out = args.out
    if out == "-":
        if not _single_input(args.inputs):
            raise StudioError("-o - (stdout) takes one picture", hint="give one file, or - to read it from stdin")
        if sys.stdout.isatty():
            raise StudioError("not writing a picture to the terminal", hint="redirect it: ... -o - > out.png")
        return args.fmt or "png", None, None
    path = Path(out).expanduser()
    suffix = path.suffix.lower()
    if suffix and not path.is_dir() and not out.endswith(("/", "\\")):
        if not _single_input(args.inputs):
            raise StudioError(f"--out {out} looks like a file name, but the inputs can hold several pictures",
                              hint=f"give --out a folder (e.g. --out {path.with_suffix('')}/); a file name is for "
                                   "one input picture: `studio process photo.jpg -o result.png`")
        if suffix not in SUFFIX_FORMATS:
            raise StudioError(f"cannot write {suffix} files", hint="name the output .png, .webp or .jpg")
        fmt = SUFFIX_FORMATS[suffix]
        if args.fmt and args.fmt != fmt:
            raise StudioError(f"--format {args.fmt} does not match --out {out}", hint="drop one of them")
        check_output(path, "output")
        return fmt, None, path
    if path.exists() and not path.is_dir():
        raise StudioError(f"--out {out} is a file, not a folder", hint="give a folder for the cutouts")
    from studio.core.atomic import check_folder_writable

    check_folder_writable(path, "output folder")
    return args.fmt or "png", path, None


def cmd_process(args) -> int:
    from studio.stills.batch import BatchOptions, process_batch
    from studio.stills.cutout import StillPrep
    from studio.stills.preprocess import parse_roi

    if args.wb_roi and not args.white_balance:
        raise StudioError("--wb-roi needs --white-balance", hint="add --white-balance")
    if "-" in args.inputs and len(args.inputs) > 1:
        raise StudioError("- (stdin) must be the only input", hint="`studio process - -o out.png < photo.jpg`")
    if args.max_pixels is not None and args.max_pixels <= 0:
        raise StudioError("--max-pixels must be positive")
    roi = parse_roi(args.wb_roi) if args.wb_roi else None
    fmt, folder, single = _plan_output(args)
    if args.journal:
        from studio.cli.preflight import check_output

        check_output(args.journal, "journal")
    opts = BatchOptions(fmt=fmt, background=_background(args.background), background_label=args.background or "",
                        prep=StillPrep(args.flicker, args.white_balance, roi, args.wb_method),
                        only_mask=args.only_mask, max_pixels=args.max_pixels or 0, quality=args.quality,
                        refine=args.refine, edge_px=args.edge_px)
    if args.watch:
        return _watch(args, opts, folder)
    if args.inputs == ["-"] or args.out == "-":
        return _stream(args, opts, single or (folder / f"stdin.{fmt}" if folder else None))
    result = process_batch(args.inputs, folder, model=args.model, backend=args.backend, device=args.device,
                           options=opts, journal=args.journal, recursive=args.recursive, single_output=single,
                           engine=args.engine, engine_options=_ray_options(args), precision=args.precision)
    from studio.core.command import reachable

    for path, error in result.failed:
        print(reachable(f"failed: {error}" if str(path) in error else f"failed: {path}: {error}"), file=sys.stderr)
    if result.stopped:
        print(f"stopped: {result.stopped}; {len(result.not_attempted)} pictures not attempted", file=sys.stderr)
    if result.redone:
        print(f"note: the journal's {result.redone} earlier results used another model or other settings: redone",
              file=sys.stderr)
    print(f"{len(result.written)} written, {len(result.skipped)} skipped (done before), {len(result.failed)} failed"
          f" in {result.seconds:.1f} s" + (f" [{args.model} on {result.backend}]" if result.backend else ""))
    return min(len(result.failed) + len(result.not_attempted), 125) or (1 if result.stopped else 0)


def _stream(args, opts, target: Path | None) -> int:
    """One picture from a file or stdin, to a file or stdout (rembg's `i` / `-` use)."""
    from studio.core.atomic import write_bytes_atomic
    from studio.stills.batch import cut_picture
    from studio.stills.cutout import Cutter

    if args.inputs == ["-"]:
        source = sys.stdin.buffer.read()
        if not source:
            raise StudioError("nothing arrived on stdin", hint="`studio process - -o out.png < photo.jpg`")
    else:
        source = Path(args.inputs[0])
    with Cutter.for_batch(args.model, args.backend, args.device, opts, args.precision) as cutter:
        data, _info = cut_picture(cutter, source, opts, name="<stdin>")
    if target is None and args.out != "-":
        raise StudioError("no output named", hint="give -o FILE or -o -")
    if args.out == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    else:
        target = single
        write_bytes_atomic(target, data)
        print(f"1 written: {target}", file=sys.stderr)
    return 0


def _ray_options(args) -> dict | None:
    if args.engine != "ray":
        if args.ray_address or args.ray_workers:
            raise StudioError("--ray-address and --ray-workers go with --engine ray", hint="add --engine ray")
        return None
    if args.ray_workers is not None and args.ray_workers <= 0:
        raise StudioError("--ray-workers must be positive")
    return {"backend": args.backend, "device": args.device, "address": args.ray_address, "workers": args.ray_workers,
            "precision": args.precision}


def _watch(args, opts, folder: Path | None) -> int:
    """`--watch IN --out OUT`: cut out pictures as they arrive until Ctrl-C."""
    from studio.stills.watch import watch_folder

    if len(args.inputs) != 1 or not Path(args.inputs[0]).is_dir() or folder is None:
        raise StudioError("--watch takes one input folder and an output folder",
                          hint="studio process --watch inbox/ --out cutouts/")

    def show(item, record) -> None:
        status = "ok" if record["status"] == "ok" else f"failed: {record.get('error', '')}"
        print(f"{item.input.name} -> {item.output.name}: {status}", flush=True)

    print(f"watching {args.inputs[0]} (Ctrl-C to stop)", file=sys.stderr, flush=True)
    result = watch_folder(args.inputs[0], folder, model=args.model, backend=args.backend, device=args.device,
                          options=opts, journal=args.journal, recursive=args.recursive, on_record=show,
                          precision=args.precision)
    if result.stopped:
        print(f"stopped: {result.stopped}", file=sys.stderr)
    print(f"{len(result.written)} written, {len(result.skipped)} skipped (done before), {len(result.failed)} failed"
          f" in {result.seconds:.1f} s" + (f" [{args.model} on {result.backend}]" if result.backend else ""))
    return 1 if result.stopped else 0
