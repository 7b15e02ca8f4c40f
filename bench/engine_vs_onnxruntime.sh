#!/usr/bin/env bash
# reco's ONNX engine vs ONNX Runtime 1.30 (onnxruntime-node), same machine, same models, same input bytes,
# 1 intra-op thread, batch 1 / 100 / 1000. reco is timed in-process around Session::Run (`reco bench-model`),
# ORT around `session.run` inside Node; Node's own per-call overhead (an empty awaited call) is reported
# separately so the ORT numbers can be read with or without it. Outputs are compared (max |diff| <= 1e-5).
# Models: the torch-exported tutorial MLP, the two-input seed model, the CNN and the DIN-style model
# (tests/models/make_models.py). Goal: ratio reco/ORT <= 0.7 at batch 1 and 100, <= 1.0 at batch 1000.
# Rounds: reco and ORT alternate ROUNDS times per model (default 3) and each side's best median is reported, so a
# burst of load from other processes on a shared machine does not land on one side only.
# Usage: bench/engine_vs_onnxruntime.sh [build_dir] [runs]   (env: BATCHES=1,100,1000, MODELS_LIST="mlp seed cnn din",
#        ROUNDS=3)
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
RUNS=${2:-300}
BATCHES=${BATCHES:-1,100,1000}
ROUNDS=${ROUNDS:-3}
PY=/usr/bin/python3
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
[ -x "$BUILD/bin/reco" ] || { echo "build first: make build" >&2; exit 1; }
if [ ! -d bench/ort/node_modules/onnxruntime-node ]; then
  echo "installing onnxruntime-node 1.30.0 into bench/ort (bench only)..." >&2
  (cd bench/ort && ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund >/dev/null)
fi
MODELS="$WORK/models"
$PY tests/models/make_models.py "$MODELS" >/dev/null

printf '| model | batch | reco median µs | ORT median µs | ratio reco/ORT | reco p99 µs | ORT p99 µs | Node overhead µs | max abs diff |\n'
printf '|---|---|---|---|---|---|---|---|---|\n'
for m in ${MODELS_LIST:-mlp seed cnn din}; do
  io="$WORK/io/$m"
  : > "$WORK/$m.reco.jsonl"
  : > "$WORK/$m.ort.jsonl"
  for ((r = 1; r <= ROUNDS; r++)); do
    dump=(); [ "$r" = 1 ] && dump=(--dump-io "$io")
    "$BUILD/bin/reco" bench-model "$MODELS/$m/model.onnx" --batch "$BATCHES" --runs "$RUNS" --threads 1 --json \
      "${dump[@]}" >> "$WORK/$m.reco.jsonl"
    node bench/ort/bench_ort.js "$MODELS/$m/model.onnx" "$io" "$RUNS" 1 >> "$WORK/$m.ort.jsonl"
  done
  $PY - "$m" "$WORK/$m.reco.jsonl" "$WORK/$m.ort.jsonl" "$io" <<'PYEOF'
import json, os, sys
import numpy as np
model, reco_f, ort_f, io = sys.argv[1:5]
def best(path):  # per batch, the round with the lowest median
    out = {}
    for d in map(json.loads, open(path)):
        if d["batch"] not in out or d["median_us"] < out[d["batch"]]["median_us"]:
            out[d["batch"]] = d
    return out
reco, ort = best(reco_f), best(ort_f)
for b in sorted(reco):
    r, o = reco[b], ort[b]
    d = os.path.join(io, f"b{b}")
    diff = 0.0
    for f in os.listdir(d):
        if f.startswith("reco_"):
            a = np.fromfile(os.path.join(d, f), dtype=np.float32)
            c = np.fromfile(os.path.join(d, "ort_" + f[5:]), dtype=np.float32)
            diff = max(diff, float(np.max(np.abs(a - c))) if a.size else 0.0)
    print(f"| {model} | {b} | {r['median_us']:.1f} | {o['median_us']:.1f} | {r['median_us'] / o['median_us']:.2f} | "
          f"{r['p99_us']:.1f} | {o['p99_us']:.1f} | {o['node_overhead_us']:.2f} | {diff:.1e} |")
PYEOF
done
