"""`studio eval`: a model's accuracy against a folder of ground-truth masks (mean IoU, MAE, boundary F)."""

from __future__ import annotations

import json


def register(sub) -> None:
    p = sub.add_parser("eval", help="score a model against ground-truth masks (IoU, MAE, boundary F)")
    p.add_argument("--images", required=True, metavar="DIR", help="folder of images")
    p.add_argument("--masks", required=True, metavar="DIR", help="folder of masks, paired with images by file stem")
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

    result = evaluate(args.images, args.masks, model=args.model, backend=args.backend, device=args.device,
                      limit=args.limit or None, refine=not args.no_refine, progress=args.progress)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
        return 0
    s = result.summary()
    print(f"model {s['model']} on {s['backend']}: {s['count']} images")
    print(f"  mean IoU    {s['mean_iou']:.4f}")
    print(f"  MAE         {s['mae']:.4f}")
    print(f"  boundary F  {s['boundary_f']:.4f}  (tolerance {s['tolerance_px']} px)")
    print(f"  {s['seconds_per_image'] * 1000:.0f} ms per image (segment + refine)")
    if s["unpaired"]:
        print(f"  {len(s['unpaired'])} images without a mask were skipped")
    return 0
