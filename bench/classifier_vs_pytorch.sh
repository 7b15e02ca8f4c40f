#!/usr/bin/env bash
# The tutorial classifier recipe (784-128-64-10 MLP, Adam 1e-3, batch 64, 5 epochs, Fashion-MNIST) trained
# by Python PyTorch (Debian python3-torch) and by reco in one run, each at its best thread count (1 and 2
# are tried). Prints both accuracies and the ratio of mean epoch times reco / PyTorch (goal: <= 0.5).
# Usage: bench/classifier_vs_pytorch.sh [build_dir] [epochs]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
EPOCHS=${2:-5}
DATA=${DATA:-/usr/share/datasets/fashion-mnist}
PY=/usr/bin/python3
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
[ -x "$BUILD/bin/reco" ] || { echo "build first: make build" >&2; exit 1; }
$PY -c "import torch" 2>/dev/null || { echo "Debian python3-torch is required: make deps-bench" >&2; exit 1; }

mean_epoch() { $PY -c "import json,sys; d=json.load(open(sys.argv[1])); e=d['epoch_seconds']; print(sum(e)/len(e))" "$1"; }
field() { $PY -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }

for t in 1 2; do
  echo "PyTorch, $t thread(s)..." >&2
  OMP_NUM_THREADS=$t $PY bench/classifier_pytorch.py --data "$DATA" --epochs "$EPOCHS" --threads "$t" \
    | tail -1 > "$OUT/py$t.json"
  echo "reco, $t thread(s)..." >&2
  OMP_NUM_THREADS=$t "$BUILD/bin/reco" train-classifier --data "$DATA" --epochs "$EPOCHS" --threads "$t" \
    --out "$OUT/reco$t.pt" --no-progress --metrics-json "$OUT/reco$t.json" >/dev/null
done

best() {  # prints the json file with the lowest mean epoch time among $@
  local bestf="" bestv=""
  for f in "$@"; do v=$(mean_epoch "$f"); if [ -z "$bestv" ] || awk "BEGIN{exit !($v < $bestv)}"; then bestv=$v; bestf=$f; fi; done
  echo "$bestf"
}
PYB=$(best "$OUT/py1.json" "$OUT/py2.json")
RCB=$(best "$OUT/reco1.json" "$OUT/reco2.json")
PYT=$(mean_epoch "$PYB"); RCT=$(mean_epoch "$RCB")
printf '\n| impl | threads | test accuracy | mean epoch (s) | samples/s |\n|---|---|---|---|---|\n'
for f in "$OUT"/py1.json "$OUT"/py2.json "$OUT"/reco1.json "$OUT"/reco2.json; do
  case $f in *py*) name=PyTorch;; *) name=reco;; esac
  printf '| %s | %s | %.4f | %.3f | %.0f |\n' "$name" "$(field "$f" threads)" "$(field "$f" test_accuracy)" \
    "$(mean_epoch "$f")" "$(field "$f" samples_per_second)"
done
printf '\nbest PyTorch: %.3f s/epoch, best reco: %.3f s/epoch, ratio reco/PyTorch = %.2f (goal <= 0.5)\n' \
  "$PYT" "$RCT" "$(awk "BEGIN{print $RCT/$PYT}")"
