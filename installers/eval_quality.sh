#!/bin/sh
# Issue 13's figures in one run (README "Cutout quality"): every model and mode on ../shared/data, each command under
# the bench lock (the box is shared), JSON reports in OUT (default /tmp/studio-quality) and the tables printed.
#   sh installers/eval_quality.sh [OUT]
set -eu
OUT=${1:-/tmp/studio-quality}
DATA=${STUDIO_DATA:-../shared/data}
mkdir -p "$OUT"
S="flock /tmp/studio-bench.lock .venv/bin/studio eval --no-progress --json"
for m in selfie selfie-landscape u2netp; do
  $S --images "$DATA/portraits/img" --masks "$DATA/portraits/mask" --model $m > "$OUT/$m-fast.json"
  $S --images "$DATA/portraits/img" --masks "$DATA/portraits/mask" --model $m --quality best > "$OUT/$m-best.json"
  $S --images "$DATA/davis/dance-twirl/img" --masks "$DATA/davis/dance-twirl/mask" --sequence --model $m \
    > "$OUT/$m-sequence.json"
done
$S --data "$DATA" --model selfie --quality fast > "$OUT/selfie-fast-all.json"
$S --data "$DATA" --model selfie --quality best > "$OUT/selfie-best-all.json"
.venv/bin/python - "$OUT" <<'PY'
import json, sys
from pathlib import Path
out = Path(sys.argv[1])
print("model, mode          IoU mean / median  under 0.8  small   large   ms/picture")
for m in ("selfie", "selfie-landscape", "u2netp"):
    for q in ("fast", "best"):
        d = json.loads((out / f"{m}-{q}.json").read_text())
        r = d["regions"]
        print(f"{m + ', ' + q:20s} {r['all']['mean_iou']:.4f} / {r['all']['median_iou']:.4f}   {r['all']['under_0.8']:.3f}"
              f"    {r['small (<15%)']['mean_iou']:.4f}  {r['large (>=15%)']['mean_iou']:.4f}  "
              f"{1000 * d['seconds_per_image']:.0f}")
print("sequence (DAVIS)     raw IoU / flicker    live IoU / flicker   live ms/frame")
for m in ("selfie", "selfie-landscape", "u2netp"):
    d = json.loads((out / f"{m}-sequence.json").read_text())
    print(f"{m:20s} {d['raw']['mean_iou']:.4f} / {d['raw']['flicker']:6.2f}     {d['live']['mean_iou']:.4f} / "
          f"{d['live']['flicker']:6.2f}     {d['live']['ms_per_frame']:.1f}")
for q in ("fast", "best"):
    d = json.loads((out / f"selfie-{q}-all.json").read_text())
    print(f"selfie {q}: held kept {d.get('held', {})}")
    print(f"  halo {d.get('halo', {})}")
PY
