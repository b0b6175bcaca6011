"""`studio eval`: a model's accuracy against a folder of ground-truth masks (mean IoU, MAE, boundary F)."""

from __future__ import annotations

import json

from studio.core.kinds import Quality


def register(sub) -> None:
    p = sub.add_parser("eval", help="score a model against ground-truth masks (IoU, MAE, boundary F)")
    p.add_argument("--images", metavar="DIR", help="folder of images")
    p.add_argument("--masks", metavar="DIR", help="folder of masks, paired with images by file stem")
    p.add_argument("--data", metavar="DIR", help="every figure in one table: regions, edges, halo, held objects, "
                                                 "flicker, from a folder laid out like ../shared/data")
    p.add_argument("--sequence", action="store_true", help="the pictures are consecutive video frames: per-frame IoU "
                                                           "and flicker, raw model vs the live path")
    p.add_argument("--compare", nargs=2, metavar=("A", "B"), help="two --json reports side by side")
    p.add_argument("--quality", default=Quality.FAST.value, choices=Quality.values(),
                   help="best: several looks and models fused (studio process --quality best)")
    p.add_argument("--refine", default="guided", choices=["guided", "none"],
                   help="guided (default) or none: the raw model mask, bilinearly resized")
    p.add_argument("--model", default="u2netp", help="model name (default u2netp)")
    p.add_argument("--backend", default="auto", help="auto, onnxruntime or openvino")
    p.add_argument("--device", default="auto")
    p.add_argument("--limit", type=int, default=0, metavar="N", help="only the first N pairs")
    p.add_argument("--no-refine", action="store_true", help="plain bilinear upsampling instead of the guided filter")
    p.add_argument("--json", action="store_true", help="machine-readable output, with per-image scores")
    bar = p.add_mutually_exclusive_group()
    bar.add_argument("--progress", dest="progress", action="store_true", default=None,
                     help="show a progress bar on stderr (the default on a terminal)")
    bar.add_argument("--no-progress", dest="progress", action="store_false", help="no progress bar")
    p.set_defaults(func=cmd_eval)


def cmd_eval(args) -> int:
    from studio.stills.evaluate import evaluate

    refine = not args.no_refine and args.refine == "guided"
    if args.compare or args.data or args.sequence:
        return _more(args, refine)
    if not (args.images and args.masks):
        from studio.core.errors import StudioError

        raise StudioError("--images and --masks are needed", hint="or --data DIR for every figure, or --compare A B")
    result = evaluate(args.images, args.masks, model=args.model, backend=args.backend, device=args.device,
                      limit=args.limit or None, refine=refine, progress=args.progress, quality=args.quality)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
        return 0
    s = result.summary()
    print(f"model {s['model']} (quality {s['quality']}) on {s['backend']}: {s['count']} images")
    print(f"  mean IoU    {s['mean_iou']:.4f}")
    print(f"  MAE         {s['mae']:.4f}")
    print(f"  boundary F  {s['boundary_f']:.4f}  (tolerance {s['tolerance_px']} px)")
    print(f"  {s['seconds_per_image'] * 1000:.0f} ms per image (segment + refine)")
    from studio.stills.eval_regions import region_lines

    print("\n".join(region_lines(s["regions"])))
    if s["unpaired"]:
        print(f"  {len(s['unpaired'])} images without a mask were skipped")
    return 0


def _more(args, refine: bool) -> int:
    """--compare, --data and --sequence (studio.stills.eval_suite / eval_flicker)."""
    from studio.stills import eval_suite

    if args.compare:
        a, b = (eval_suite.load_report(p) for p in args.compare)
        print("\n".join(eval_suite.compare_lines(a, b, tuple(args.compare))))
        return 0
    if args.sequence:
        from studio.core.errors import StudioError
        from studio.stills.eval_flicker import evaluate_sequence, flicker_lines

        if not (args.images and args.masks):
            raise StudioError("--sequence needs --images and --masks", hint="e.g. ../shared/data/davis/dance-twirl")
        res = evaluate_sequence(args.images, args.masks, model=args.model, backend=args.backend,
                                device=args.device, limit=args.limit or None)
        print(json.dumps(res, indent=2) if args.json else
              "\n".join([f"model {res['model']} on {res['backend']}"] + flicker_lines(res)))
        return 0
    report = eval_suite.run_suite(args.data, model=args.model, quality=args.quality, refine=refine,
                                  backend=args.backend, device=args.device, limit=args.limit or None,
                                  progress=args.progress)
    print(json.dumps(report, indent=2) if args.json else "\n".join(eval_suite.report_lines(report)))
    return 0
