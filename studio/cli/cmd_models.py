"""`studio models list|verify|convert`: what models there are, whether their files are intact, and our converter."""

from __future__ import annotations

import json

from studio.models.registry import ModelRegistry


def register(sub) -> None:
    p = sub.add_parser("models", help="list, verify, fetch and convert models",
                       description="The model registry: which models Studio knows, whether their files are here and "
                                   "intact (sha256), and the TFLite -> ONNX converter.")
    msub = p.add_subparsers(dest="models_command", metavar="ACTION", required=True)

    lp = msub.add_parser("list", help="models in the registry: kind, size, licence, present, checksum")
    lp.add_argument("--json", action="store_true", help="machine-readable output")
    lp.set_defaults(func=cmd_list)

    vp = msub.add_parser("verify", help="check every present model file against its pinned sha256")
    vp.set_defaults(func=cmd_verify)

    fp = msub.add_parser("fetch", help="download a model that is fetched on request (pinned source, checked)",
                         description="Download a model listed in the registry but not bundled (u2net, birefnet-*, "
                                     "rmbg-2.0, ...) from its pinned source into the user model folder; resumes an "
                                     "interrupted download and checks the pinned checksums before the file is used.")
    fp.add_argument("name", help="model name from `studio models list`")
    fp.add_argument("--accept-licence", action="store_true",
                    help="accept a restrictive licence (non-commercial, GPL, gated) without being asked")
    fp.add_argument("--allow-unpinned", action="store_true",
                    help="fetch a model that has no pinned checksum anyway, and print its sha256")
    fp.add_argument("--force", action="store_true", help="download again even if a good copy is present")
    fp.add_argument("--no-progress", action="store_true", help="no progress bar")
    fp.set_defaults(func=cmd_fetch)

    pp = msub.add_parser("precision", help="write a model under a precision plan (fp16, mixed, int8, bf16)",
                         description="Write IN.onnx under a precision plan: fp16 (all fp16, fp32 inputs/outputs), "
                                     "mixed (fp16 with the edge tail fp32), int8 (NNCF post-training quantisation "
                                     "calibrated on your pictures; needs --model and --calibration), bf16 (a runtime "
                                     "hint for OpenVINO; the file is the input with the plan recorded). Needs the "
                                     "[precision] extra.")
    pp.add_argument("input", help="the .onnx file")
    pp.add_argument("output", help="the .onnx file to write")
    pp.add_argument("--plan", required=True, choices=["fp32", "fp16", "mixed", "int8", "bf16"])
    pp.add_argument("--model", help="registry name whose preprocessing the calibration uses (int8)")
    pp.add_argument("--calibration", metavar="DIR", help="folder of pictures for int8 calibration")
    pp.add_argument("--calibration-limit", type=int, default=64, metavar="N", help="at most N pictures (64)")
    pp.add_argument("--tail-depth", type=int, default=6, metavar="N",
                    help="nodes within N steps of an output stay fp32 (mixed) or float (int8); default 6")
    pp.set_defaults(func=cmd_precision)

    cp = msub.add_parser("convert", help="convert a TFLite model (MediaPipe selfie family) to ONNX")
    cp.add_argument("input", help="the .tflite file")
    cp.add_argument("output", help="the .onnx file to write")
    cp.set_defaults(func=cmd_convert)


def _rows(registry: ModelRegistry) -> list[dict]:
    rows = []
    for spec in registry.specs():
        st = registry.status(spec.name)
        rows.append({
            "name": spec.name,
            "kind": spec.kind,
            "input": "x".join(map(str, spec.input_size)) if not spec.dynamic else f"dynamic/{spec.stride}",
            "size_bytes": st.size_bytes,
            "licence": spec.licence,
            "embedded": spec.embedded,
            "present": st.present,
            "sha256_ok": st.sha256_ok,
            "sha256": st.actual_sha256 or spec.sha256,
            "path": str(spec.path()),
        })
    return rows


def cmd_list(args) -> int:
    rows = _rows(ModelRegistry.load())
    if args.json:
        print(json.dumps(rows, indent=2))
        return 0
    print(f"{'name':<18}{'kind':<10}{'input':<12}{'size':>9}  {'licence':<14}{'present':<9}sha256")
    for r in rows:
        size = f"{r['size_bytes'] / 1e6:.1f} MB" if r["size_bytes"] else "-"
        ok = {True: "ok", False: "MISMATCH", None: "-"}[r["sha256_ok"]]
        print(f"{r['name']:<18}{r['kind']:<10}{r['input']:<12}{size:>9}  {r['licence']:<14}"
              f"{'yes' if r['present'] else 'no':<9}{ok}")
    return 0


def cmd_verify(args) -> int:
    bad = 0
    for r in _rows(ModelRegistry.load()):
        if not r["present"]:
            print(f"{r['name']}: not present{'' if not r['embedded'] else ' (embedded model missing!)'}")
            bad += int(r["embedded"])
        elif r["sha256_ok"] is False:
            print(f"{r['name']}: CHECKSUM MISMATCH {r['path']}")
            bad += 1
        else:
            print(f"{r['name']}: ok" + ("" if r["sha256_ok"] else " (no pinned checksum)"))
    return 1 if bad else 0


def cmd_fetch(args) -> int:
    import sys

    from studio.models.fetch import fetch_model, licence_notice, needs_licence_confirmation

    spec = ModelRegistry.load().get(args.name)
    accept = args.accept_licence
    if needs_licence_confirmation(spec) and not accept and spec.download is not None and not spec.present():
        print(licence_notice(spec))
        if sys.stdin.isatty():
            accept = input(f"Accept this licence and download {spec.name}? [y/N] ").strip().lower() in ("y", "yes")
    result = fetch_model(spec, accept_licence=accept, allow_unpinned=args.allow_unpinned, force=args.force,
                         progress=not args.no_progress and sys.stderr.isatty())
    if result.already_present:
        print(f"{result.name}: already present and intact at {result.path}")
        return 0
    print(f"{result.name}: {result.size / 1e6:.1f} MB from {result.source}")
    print(f"  saved to {result.path}")
    print(f"  sha256 {result.sha256}" + ("" if spec.sha256 else "  (not pinned in the registry: pin it once you "
                                                             "trust it)"))
    return 0


def cmd_precision(args) -> int:
    from pathlib import Path

    from studio.cli.preflight import check_output
    from studio.inference.precision import apply_plan
    from studio.stills.imageio import IMAGE_SUFFIXES

    check_output(args.output, "ONNX file")
    spec = ModelRegistry.load().get(args.model) if args.model else None
    pictures = []
    if args.calibration:
        pictures = sorted(p for p in Path(args.calibration).iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
    done = apply_plan(Path(args.input), Path(args.output), args.plan, spec=spec, calibration=pictures,
                      tail_depth=args.tail_depth, calibration_limit=args.calibration_limit)
    print(f"{done['output']}: plan {done['plan']}" + (f" ({done['detail']})" if done["detail"] else "") +
          f", {done['bytes_in'] / 1e6:.1f} -> {done['bytes_out'] / 1e6:.1f} MB")
    if args.plan == "bf16":
        print("  bf16 is applied by OpenVINO at compile time (INFERENCE_PRECISION_HINT=bf16) on CPUs with bf16 units")
    return 0


def cmd_convert(args) -> int:
    from studio.cli.preflight import check_output
    from studio.models.tflite_onnx.cli import main_convert

    check_output(args.output, "ONNX file")
    return main_convert(args)
