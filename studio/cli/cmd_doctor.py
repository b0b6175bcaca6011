"""`studio doctor [--json]`: what works on this box, what does not, and the one command that fixes each problem.
Exit code 0 when the live job can run, 1 when something blocks it (see studio.doctor)."""

from __future__ import annotations

import json


def register(sub) -> None:
    p = sub.add_parser("doctor", help="check this box: runtimes, models, cameras, virtual camera, sensors; with fixes")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.add_argument("--no-probe", action="store_true",
                   help="do not open cameras or the virtual camera (listing only)")
    p.add_argument("--no-load", action="store_true", help="do not open the model on a runtime")
    p.set_defaults(func=cmd_doctor)


def cmd_doctor(args) -> int:
    from studio.doctor import run_checks

    report = run_checks(probe=not args.no_probe, load_model=not args.no_load)
    print(json.dumps(report.to_dict(), indent=2, default=str) if args.json else report.render())
    return report.exit_code
