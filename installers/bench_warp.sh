#!/usr/bin/env bash
# Issue 12's mask-warp figures in one lock hold: `studio bench warp` on DAVIS dance-twirl (90 frames, true masks),
# selfie and u2netp, a mask every second frame (15/s of 30 fps), with the mask on time (lag 0) and one frame late
# (lag 1), then the warp's cost with the frames at 1280x720. Each run's table goes to OUTDIR/NAME.log, its JSON to
# OUTDIR/NAME.json.
#
#   flock /tmp/studio-bench.lock bash installers/bench_warp.sh OUTDIR
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: bench_warp.sh OUTDIR}
mkdir -p "$out"
studio=.venv/bin/studio
echo "start $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
for run in "lag0:--lag 0" "lag1:--lag 1" "720p:--size 1280x720"; do
  name=${run%%:*} opts=${run#*:}
  # shellcheck disable=SC2086 # opts is a list of options
  $studio bench warp --models selfie,u2netp $opts --out "$out/$name.json" | tee "$out/$name.log"
done
echo "done $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
