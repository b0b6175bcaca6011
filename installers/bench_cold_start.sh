#!/usr/bin/env bash
# Issue 12's cold-start bar: `studio cam` to its first output frame in under 1 s with the embedded models. Runs
# `studio cam --source synthetic:moving --model selfie --background blur` RUNS times (5 by default) per bytecode mode
# and prints each run's cold_start marks (seconds from the process's start, studio/cli/cold_start.py) and the median
# of each mark, with the load average before and after.
#   compiled: modules read from compiled bytecode, as after an install or in CI (a private PYTHONPYCACHEPREFIX,
#             filled by one uncounted run first)
#   as-is:    the environment as it is (this box sets PYTHONDONTWRITEBYTECODE=1, so modules whose bytecode is
#             missing or stale are compiled from source on every start)
#
# Usage: flock /tmp/studio-bench.lock installers/bench_cold_start.sh [compiled|as-is ...]   (RUNS=5, SECONDS_EACH=3,
#        SOURCE=synthetic:moving: any --source, e.g. a video file)
# Run it on a quiet box: on a busy one every figure is inflated.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
RUNS=${RUNS:-5}
SECONDS_EACH=${SECONDS_EACH:-3}
SOURCE=${SOURCE:-synthetic:moving}
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
export STUDIO_CONFIG_DIR="$OUT/config"  # default settings, not the user's
export QT_QPA_PLATFORM=offscreen
DWB_SET=${PYTHONDONTWRITEBYTECODE+x}; DWB=${PYTHONDONTWRITEBYTECODE-}  # the environment's, for as-is
MODES=("$@")
[ ${#MODES[@]} -gt 0 ] || MODES=(compiled as-is)

cam() {  # one run; its JSON report to $1
  "$PY" -m studio.cli.main cam --source "$SOURCE" --model selfie --background blur --no-vcam \
    --duration "$SECONDS_EACH" --no-telemetry --stats-json "$1" >/dev/null 2>"$OUT/err" || { cat "$OUT/err"; exit 1; }
}

echo "source $SOURCE; load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
for mode in "${MODES[@]}"; do
  case "$mode" in
    compiled) export PYTHONPYCACHEPREFIX="$OUT/pycache"; unset PYTHONDONTWRITEBYTECODE; cam "$OUT/warmup.json" ;;
    as-is) unset PYTHONPYCACHEPREFIX; if [ -n "$DWB_SET" ]; then export PYTHONDONTWRITEBYTECODE="$DWB"; fi ;;
    *) echo "unknown mode $mode (compiled, as-is)" >&2; exit 2 ;;
  esac
  for i in $(seq "$RUNS"); do cam "$OUT/$mode-$i.json"; done
  echo "$mode (PYTHONDONTWRITEBYTECODE=${PYTHONDONTWRITEBYTECODE:-unset}):"
  "$PY" - "$OUT"/"$mode"-*.json <<'EOF'
import json, statistics, sys
runs = [json.load(open(p))["cold_start"] for p in sys.argv[1:]]
names = ["started", "pipeline_built", "first_frame", "model_loaded", "first_masked_frame"]
for r in runs:
    print("  run    " + "  ".join(f"{n} {r.get(n, float('nan')):.3f}" for n in names))
print("  median " + "  ".join(f"{n} {statistics.median(r.get(n, float('nan')) for r in runs):.3f}" for n in names))
EOF
done
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
