#!/usr/bin/env bash
# `make bench`: every benchmark, each printing its ratio against a reference measured in the same run.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
echo "== classifier training: reco vs PyTorch"; bash bench/classifier_vs_pytorch.sh "$BUILD"
echo; echo "== DIN ranker training: reco vs PyTorch"; bash bench/ranker_vs_pytorch.sh "$BUILD"
echo; echo "== ONNX engine: reco vs ONNX Runtime"; bash bench/engine_vs_onnxruntime.sh "$BUILD"
echo; echo "== model server: reco-model-server vs Node.js + ONNX Runtime"; bash bench/model_server_vs_node_ort.sh "$BUILD"
