"""`studio bench [BENCH]`: benchmarks, each a module in BENCHES; `studio bench` alone runs the first one (models).

A benchmark module provides ``register(subparsers)`` (adds `studio bench <name>`); the first one in BENCHES also
provides ``add_arguments(parser)`` and ``run(args)`` so that its options work without naming it. To add a benchmark,
append its module here.
"""

from __future__ import annotations

import importlib

BENCHES = [
    "studio.bench.models",
    "studio.bench.pipeline",
    "studio.bench.mask",
    "studio.bench.warp",
    "studio.bench.encode",
    "studio.bench.stages",
]


def register(sub) -> None:
    p = sub.add_parser("bench", help="benchmarks (default: models x backends x frame sizes)",
                       description="Benchmarks. `studio bench [options]` is `studio bench models [options]`.")
    bsub = p.add_subparsers(dest="bench_command", metavar="BENCH")
    modules = [importlib.import_module(name) for name in BENCHES]
    for module in modules:
        module.register(bsub)
    default = modules[0]
    default.add_arguments(p)
    p.set_defaults(func=default.run)
