#!/usr/bin/env bash
# Issue 12's bar "a still scene costs almost nothing": CPU of `studio cam` on a still picture against a moving clip,
# same size and frame rate (640x480, 30 fps: a webcam-style clip from ../shared/data/video/asl and its first frame
# as the picture), 15 s each, default settings (blur background), per model. Prints, per run, the process CPU over
# the measured span (--stats-json cpu_s_per_min), the whole process's user+sys (/usr/bin/time), the inference rate and
# the inference side's work (inferences/s x segment ms p50 = the share of one core the model's calls take), then the
# still/moving ratios (bars: <= 0.3 u2netp, <= 0.5 selfie).
#
# Usage: flock /tmp/studio-bench.lock installers/bench_still_vs_moving.sh [models...]   (default: u2netp selfie)
# Run it on a quiet box: on a busy one every figure is inflated and the ratios move towards 1.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
SECONDS_EACH=${SECONDS_EACH:-15}
CLIP=${CLIP:-$(ls ../shared/data/video/asl/*.mkv | head -1)}
OUT=$(mktemp -d)
export STUDIO_CONFIG_DIR="$OUT/config"  # default settings, not the user's
export QT_QPA_PLATFORM=offscreen
STILL="$OUT/still.png"
"$PY" - "$CLIP" "$STILL" <<'EOF'
import sys, cv2
cap = cv2.VideoCapture(sys.argv[1]); ok, frame = cap.read(); cap.release()
assert ok, f"cannot read {sys.argv[1]}"
cv2.imwrite(sys.argv[2], frame)
EOF
models=("$@")
[ ${#models[@]} -eq 0 ] && models=(u2netp selfie)
for model in "${models[@]}"; do
  for scene in moving still; do
    src=$CLIP; extra=()
    [ "$scene" = still ] && { src=$STILL; extra=(--fps 30); }
    /usr/bin/time -f "%U %S" -o "$OUT/$model-$scene.time" "$PY" -m studio.cli.main cam --source "$src" "${extra[@]}" \
      --model "$model" --duration "$SECONDS_EACH" --no-telemetry --stats-json "$OUT/$model-$scene.json" \
      >/dev/null 2>"$OUT/$model-$scene.err" || { cat "$OUT/$model-$scene.err"; exit 1; }
  done
done
"$PY" - "$OUT" "${models[@]}" <<'EOF'
import json, sys
out, models = sys.argv[1], sys.argv[2:]
for model in models:
    row = {}
    for scene in ("moving", "still"):
        d = json.load(open(f"{out}/{model}-{scene}.json"))
        user, sys_ = (float(v) for v in open(f"{out}/{model}-{scene}.time").read().split()[-2:])
        work = d["inference_fps"] * (d["segment_ms_p50"] or 0.0) / 1000.0
        row[scene] = (d["cpu_s_per_min"], user + sys_, work)
        print(f"{model:7s} {scene:6s} cpu {d['cpu_s_per_min']:6.1f} s/min over {d['duration_s']:.1f} s, "
              f"process user+sys {user + sys_:5.1f} s, inference {d['inference_fps']:5.2f}/s x "
              f"{d['segment_ms_p50'] or 0:.1f} ms = {work:.3f} of a core, output {d['output_fps']:.1f} fps, "
              f"tiers {d['inference_rate_per_tier']}")
    (cm, tm, wm), (cs, ts, ws) = row["moving"], row["still"]
    print(f"{model:7s} still/moving: CPU over the measured span {cs / cm:.3f}, whole process {ts / tm:.3f}, "
          f"inference work {ws / wm if wm else float('nan'):.3f}")
EOF
rm -rf "$OUT"
