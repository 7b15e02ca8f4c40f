#!/usr/bin/env bash
# The DIN ranker trained by reco (LibTorch C++) and by the same model in Python PyTorch (bench/ranker_pytorch.py,
# Debian python3-torch) in one run: same samples.bin (built once by reco, read by Python through numpy memmap),
# same sizes (emb 16, L 50, attention 80-40, MLP 200-80, Dice), batch size, 1 negative per positive, and optimizer
# semantics (SparseAdam on the item/category tables, Adam on the rest = reco's lazy-adam). Each side runs at 1 and
# 2 threads; the best of each is compared (goal: reco >= 2x PyTorch's examples/s). An "example" is one labelled
# row (history, candidate). Also prints the events -> samples pipeline throughput.
# Usage: bench/ranker_vs_pytorch.sh [build_dir] [samples_to_time]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
LIMIT=${2:-8192}
BATCH=${BATCH:-256}
PY=/usr/bin/python3
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
[ -x "$BUILD/bin/reco" ] || { echo "build first: make build" >&2; exit 1; }
$PY -c "import torch, numpy" 2>/dev/null || { echo "Debian python3-torch is required: make deps-bench" >&2; exit 1; }
field() { $PY -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$1" "$2"; }

echo "generating ~1M events (5k users, 50k items, 500 categories, 14 days)..." >&2
"$BUILD/bin/reco" gen-events --users 5000 --items 50000 --categories 500 --days 14 --seed 1 --quiet \
  --out "$OUT/events.csv" >/dev/null
COMMON=(--events "$OUT/events.csv" --out "$OUT/run" --model din --epochs 1 --batch-size "$BATCH" --lr 1e-3
        --emb-dim 16 --max-history 50 --negatives 1 --limit "$LIMIT" --no-progress)

# The first run builds the samples (timed: CSV read + vocabularies + sequences + negatives + file write).
for t in 1 2; do
  echo "reco, $t thread(s)..." >&2
  OMP_NUM_THREADS=$t "$BUILD/bin/reco" train-ranker "${COMMON[@]}" --threads "$t" \
    --metrics-json "$OUT/reco$t.json" > "$OUT/reco$t.log"
done
PIPE=$(grep -o 'samples built in .*' "$OUT/reco1.log")
# reco keeps freed memory in the process (mallopt in TrainRanker); PyTorch gets the same glibc settings through
# GLIBC_TUNABLES, so the ratio does not come from the allocator.
for t in 1 2; do
  echo "PyTorch, $t thread(s)..." >&2
  OMP_NUM_THREADS=$t GLIBC_TUNABLES=glibc.malloc.mmap_threshold=1073741824:glibc.malloc.trim_threshold=1073741824 \
    $PY bench/ranker_pytorch.py --samples "$OUT/run/samples/samples.bin" --batch-size "$BATCH" \
    --emb-dim 16 --lr 1e-3 --limit "$LIMIT" --threads "$t" | tail -1 > "$OUT/py$t.json"
done

best() {  # the json file with the highest examples/s among $@
  local bestf="" bestv=""
  for f in "$@"; do v=$(field "$f" examples_per_second)
    if [ -z "$bestv" ] || awk "BEGIN{exit !($v > $bestv)}"; then bestv=$v; bestf=$f; fi; done
  echo "$bestf"
}
PYB=$(field "$(best "$OUT/py1.json" "$OUT/py2.json")" examples_per_second)
RCB=$(field "$(best "$OUT/reco1.json" "$OUT/reco2.json")" examples_per_second)
printf '\nDIN training, %s samples x 2 examples, batch %s samples:\n' "$LIMIT" "$BATCH"
printf '| impl | threads | examples/s |\n|---|---|---|\n'
for f in "$OUT"/py1.json "$OUT"/py2.json "$OUT"/reco1.json "$OUT"/reco2.json; do
  case $f in *py*) name=PyTorch;; *) name=reco;; esac
  printf '| %s | %s | %.0f |\n' "$name" "$(field "$f" threads)" "$(field "$f" examples_per_second)"
done
printf '\nbest reco: %.0f examples/s, best PyTorch: %.0f examples/s, ratio reco/PyTorch = %.2f (goal >= 2)\n' \
  "$RCB" "$PYB" "$(awk "BEGIN{print $RCB/$PYB}")"
echo "events -> samples pipeline: $PIPE"
