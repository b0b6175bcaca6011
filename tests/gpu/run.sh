#!/usr/bin/env bash
# The GPU checks in one call, for a box with an NVIDIA GPU (or a session lent one through the device tool):
#   tests/gpu/run.sh            # installs the GPU extras into .venv if they are missing, runs tests/gpu, the bench
# Output: pytest's summary, then one JSON line per bench row; a copy goes to $OUT (when set) or ./gpu-results.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
PY=${PYTHON:-.venv/bin/python}
[ -x "$PY" ] || PY=python3
RESULTS=${OUT:-gpu-results}
mkdir -p "$RESULTS"
nvidia-smi --query-gpu=name,driver_version,compute_cap,memory.total --format=csv 2>&1 | tee "$RESULTS/gpu.txt"
if ! "$PY" -c "import tensorrt, onnxruntime" 2>/dev/null || ! "$PY" -c "import cuda" 2>/dev/null; then
    "$PY" -m pip install -q -e '.[tensorrt,gpu]' 2>&1 | tail -3
fi
"$PY" - <<'PY' 2>&1 | tee "$RESULTS/versions.txt"
import importlib
for m in ("tensorrt", "onnxruntime", "cuda"):
    try:
        mod = importlib.import_module(m)
        print(m, getattr(mod, "__version__", "?"))
    except Exception as exc:
        print(m, "MISSING", exc)
import onnxruntime as ort
print("ort providers", ort.get_available_providers())
PY
export STUDIO_ENGINES_DIR=${STUDIO_ENGINES_DIR:-$RESULTS/engines}
"$PY" -m pytest tests/gpu -q -rs -p no:cacheprovider 2>&1 | tee "$RESULTS/pytest.txt"
status=${PIPESTATUS[0]}
timeout 300 "$PY" tests/gpu/bench_tensorrt.py "$@" 2>&1 | tee "$RESULTS/bench.jsonl"
exit "$status"
