"""`studio models list|verify|convert`: what models there are, whether their files are intact, and our converter."""

from __future__ import annotations

import json

from studio.models.registry import ModelRegistry


def register(sub) -> None:
    p = sub.add_parser("models", help="list, verify and convert models",
                       description="The model registry: which models Studio knows, whether their files are here and "
                                   "intact (sha256), and the TFLite -> ONNX converter.")
    msub = p.add_subparsers(dest="models_command", metavar="ACTION", required=True)

    lp = msub.add_parser("list", help="models in the registry: kind, size, licence, present, checksum")
    lp.add_argument("--json", action="store_true", help="machine-readable output")
    lp.set_defaults(func=cmd_list)

    vp = msub.add_parser("verify", help="check every present model file against its pinned sha256")
    vp.set_defaults(func=cmd_verify)

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


def cmd_convert(args) -> int:
    from studio.cli.preflight import check_output
    from studio.models.tflite_onnx.cli import main_convert

    check_output(args.output, "ONNX file")
    return main_convert(args)
