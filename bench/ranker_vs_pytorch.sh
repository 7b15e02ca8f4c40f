#!/usr/bin/env bash
# The DIN ranker trained by reco (LibTorch C++) and by the same model in Python PyTorch (bench/ranker_pytorch.py,
# Debian python3-torch) in one run: same samples.bin (built once by reco, read by Python through numpy memmap),
# same sizes (emb 16, L 50, attention 80-40, MLP 200-80, Dice), batch size, 1 negative per positive, and optimizer
# semantics (SparseAdam on the item/category tables, Adam on the rest = reco's lazy-adam). Each side runs at 1 and
# 2 threads; the best of each is compared (goal: reco >= 2x PyTorch's examples/s). An "example" is one labelled
# row (history, candidate). reco stores each sample's history once and shares it across the sample's 1 + K rows;
# the headline compares it with PyTorch doing the same (--histories grouped, broadcasting); the naive PyTorch
# layout (history copied into every row) is also timed and its ratio printed. Also prints the events -> samples
# pipeline throughput.
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
# reco keeps freed memory in the process (mallopt in TrainRanker); PyTorch gets the same glibc settings through
# GLIBC_TUNABLES, so the ratio does not come from the allocator. Runs are interleaved (reco, PyTorch grouped,
# PyTorch per-row at 1 thread, then the same at 2) so that a load change on a shared machine hits both sides alike.
for t in 1 2; do
  echo "reco, $t thread(s)..." >&2
  OMP_NUM_THREADS=$t "$BUILD/bin/reco" train-ranker "${COMMON[@]}" --threads "$t" \
    --metrics-json "$OUT/reco$t.json" > "$OUT/reco$t.log"
  for hist in grouped per-row; do
    echo "PyTorch ($hist histories), $t thread(s)..." >&2
    OMP_NUM_THREADS=$t GLIBC_TUNABLES=glibc.malloc.mmap_threshold=1073741824:glibc.malloc.trim_threshold=1073741824 \
      $PY bench/ranker_pytorch.py --samples "$OUT/run/samples/samples.bin" --batch-size "$BATCH" \
      --emb-dim 16 --lr 1e-3 --limit "$LIMIT" --threads "$t" --histories "$hist" | tail -1 > "$OUT/py-$hist$t.json"
  done
done
PIPE=$(grep -o 'samples built in .*' "$OUT/reco1.log")

best() {  # the json file with the highest examples/s among $@
  local bestf="" bestv=""
  for f in "$@"; do v=$(field "$f" examples_per_second)
    if [ -z "$bestv" ] || awk "BEGIN{exit !($v > $bestv)}"; then bestv=$v; bestf=$f; fi; done
  echo "$bestf"
}
PYG=$(field "$(best "$OUT/py-grouped1.json" "$OUT/py-grouped2.json")" examples_per_second)
PYN=$(field "$(best "$OUT/py-per-row1.json" "$OUT/py-per-row2.json")" examples_per_second)
RCB=$(field "$(best "$OUT/reco1.json" "$OUT/reco2.json")" examples_per_second)
printf '\nDIN training, %s samples x 2 examples, batch %s samples:\n' "$LIMIT" "$BATCH"
printf '| impl | histories | threads | examples/s | train loss |\n|---|---|---|---|---|\n'
for f in "$OUT"/py-grouped1.json "$OUT"/py-grouped2.json "$OUT"/py-per-row1.json "$OUT"/py-per-row2.json; do
  printf '| PyTorch | %s | %s | %.0f | %.4f |\n' "$(field "$f" histories)" "$(field "$f" threads)" \
    "$(field "$f" examples_per_second)" "$(field "$f" loss)"
done
for f in "$OUT"/reco1.json "$OUT"/reco2.json; do
  printf '| reco | grouped | %s | %.0f | %.4f |\n' "$(field "$f" threads)" "$(field "$f" examples_per_second)" \
    "$($PY -c "import json,sys; print(json.load(open(sys.argv[1]))['epoch_train_loss'][0])" "$f")"
done
printf '\nbest reco: %.0f examples/s; best PyTorch, grouped histories: %.0f examples/s\n' "$RCB" "$PYG"
printf 'ratio reco/PyTorch (same grouping) = %.2f (goal >= 2)\n' "$(awk "BEGIN{print $RCB/$PYG}")"
printf '(vs naive PyTorch, history copied per row: %.0f examples/s, ratio %.2f)\n' "$PYN" \
  "$(awk "BEGIN{print $RCB/$PYN}")"
echo "events -> samples pipeline: $PIPE"
