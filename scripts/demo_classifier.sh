#!/usr/bin/env bash
# `make demo`: the main job end to end on embedded defaults.
#   1. train the tutorial MLP classifier on Fashion-MNIST (5 epochs, Adam 1e-3, batch 64)
#   2. evaluate it on the test set
#   3. export it to ONNX and inspect/run it with reco's own engine
#   4. classify one test image
set -euo pipefail
BUILD=${1:-build}
OUT=${2:-out/demo}
RECO="$BUILD/bin/reco"
mkdir -p "$OUT"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
has_cmd() { "$RECO" "$1" --help >/dev/null 2>&1; }

step "1/4 train the tutorial MLP on Fashion-MNIST"
"$RECO" train-classifier --model mlp --epochs 5 --batch-size 64 --lr 0.001 \
  --out "$OUT/mlp.pt" --metrics-json "$OUT/mlp.metrics.json"

step "2/4 evaluate on the 10,000 test images"
"$RECO" evaluate-classifier --checkpoint "$OUT/mlp.pt" --metrics-json "$OUT/mlp.eval.json"

step "3/4 export to ONNX"
if has_cmd export; then
  "$RECO" export --checkpoint "$OUT/mlp.pt" --out "$OUT/mlp.onnx"
  if has_cmd inspect; then "$RECO" inspect "$OUT/mlp.onnx"; fi
else
  echo "(reco export is not built in this version; skipped)"
fi

step "4/4 classify test image 0"
"$RECO" predict-classifier --checkpoint "$OUT/mlp.pt" --index 0

printf '\nartifacts in %s: checkpoint, metrics JSON, curves (CSV + SVG plot)\n' "$OUT"
