#!/usr/bin/env bash
# Issue 12's "bigger frames at full rate, for less CPU", in one lock hold: the compose path per stage and size (the
# path before the detail cap against the live one, interleaved: `studio bench stages`), then `studio cam` on the
# synthetic moving scene with selfie and the blur background at 3840x2160 30 fps, 1920x1080 60 fps and 1920x1080
# 30 fps, each printing output fps against the source, latency p50/p95, the stages' p50, the process CPU (cores:
# user+sys over wall, capture included) and the cold start (seconds from the process's start).
# Bars: 4K30 and 1080p60 at the source rate with latency p95 under one frame interval; 1080p30 at most 0.5 core.
#
# Usage: flock /tmp/studio-bench.lock installers/bench_stage_cost.sh   (SECONDS_EACH=20 by default)
# Run it on a quiet box: on a busy one every figure is inflated.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
SECONDS_EACH=${SECONDS_EACH:-20}
OUT=$(mktemp -d)
export STUDIO_CONFIG_DIR="$OUT/config"  # default settings, not the user's
export QT_QPA_PLATFORM=offscreen
[ -n "${SKIP_STAGES:-}" ] || "$PY" -m studio.cli.main bench stages --frames 60
for run in 3840x2160@30 1920x1080@60 1920x1080@30; do
  size=${run%@*}; fps=${run#*@}
  /usr/bin/time -f "%U %S %e" -o "$OUT/$run.time" "$PY" -m studio.cli.main cam --source synthetic:moving \
    --model selfie --background blur --no-vcam --size "$size" --fps "$fps" --duration "$SECONDS_EACH" \
    --no-telemetry --stats-json "$OUT/$run.json" >/dev/null 2>"$OUT/$run.err" || { cat "$OUT/$run.err"; exit 1; }
  "$PY" - "$OUT/$run.json" "$OUT/$run.time" "$run" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
user, sys_s, wall = map(float, open(sys.argv[2]).read().split()[-3:])
lat, fps = d["latency_ms"], d["source_fps"]
stages = {k: v["p50"] for k, v in (d.get("stages_ms") or {}).items()}
print(f"{sys.argv[3]:>13}: out {d['output_fps']:.1f} fps (source {fps:g}), latency p50 {lat['p50']} p95 {lat['p95']} ms "
      f"(one frame {1000 / fps:.1f} ms), CPU {(user + sys_s) / wall:.2f} cores (process, capture included; "
      f"{d['cpu_s_per_min'] / 60:.2f} over the measured span)")
print(f"{'':>15}stages p50 ms {stages}")
print(f"{'':>15}cold start s {d.get('cold_start')}")
EOF
done
