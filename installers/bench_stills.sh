#!/usr/bin/env bash
# Issue 14's figures in one lock hold: `studio process` (default plan, --precision fp32, --engine sequential)
# against `rembg p -m u2netp`, the engines in process per plan, and --engine ray with 1 and 2 workers.
#
#   REMBG=/path/to/rembg-venv/bin/rembg flock /tmp/studio-bench.lock bash installers/bench_stills.sh OUTDIR
#
# rembg lives in its own venv (pip install "rembg[cpu,cli]"); it is pointed at Studio's u2netp file, the same one
# it pins. The 40 pictures are every third portrait of ../shared/data/portraits (1, 4, 7, ... 118).
set -euo pipefail
cd "$(dirname "$0")/.."
out=${1:?usage: bench_stills.sh OUTDIR}
data=${STUDIO_SHARED_DATA:-../shared/data}
rembg=${REMBG:-rembg}
py=.venv/bin/python
mkdir -p "$out/in40" "$out/u2net"
for n in $(seq 1 3 118); do cp "$data/portraits/img/$n.jpg" "$out/in40/"; done
ln -sf "$PWD/resources/models/u2netp.onnx" "$out/u2net/u2netp.onnx"
export U2NET_HOME=$out/u2net
masks=$data/portraits/mask
echo "start $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
$py installers/bench_stills.py --images "$out/in40" --masks "$masks" --rembg "$rembg" --rounds 3 \
  --variant studio='' --variant studio-fp32='--precision fp32' --variant studio-sequential='--engine sequential' \
  --json "$out/bar.json" | tee "$out/bar.log"
$py installers/bench_stills.py --images "$out/in40" --masks "$masks" --engines fp32,bf16 --rounds 2 \
  --json "$out/engines.json" | tee "$out/engines.log"
if $py -c "import ray" 2>/dev/null; then
  timeout 600 $py installers/bench_stills.py --images "$out/in40" --masks "$masks" --ray 1,2 --rounds 1 \
    --json "$out/ray.json" | tee "$out/ray.log"
else
  echo "ray: not installed (pip install -e '.[cluster]'); skipped"
fi
echo "done $(date -u +%T) load $(cut -d' ' -f1-3 /proc/loadavg)"
