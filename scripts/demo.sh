#!/usr/bin/env bash
# `make demo`: the whole story on embedded defaults, from behaviour logs to live recommendations.
#   1. generate a synthetic Taobao-format behaviour log (shoppers with drifting category interests)
#   2. train the DIN ranker on it (validation AUC/GAUC per epoch, early stopping, best checkpoint)
#   3. export it as a model folder (ONNX + vocabularies + manifest) that reco-model-server can serve too
#   4. import the log into the recommender's embedded store and start reco-recommender on the model
#   5. print the storefront URL and one recommendation fetched with curl; serve until Ctrl-C
#      (DEMO_ONCE=1 stops after the curl, for CI)
# The classifier demo of issue 2 is `make demo-classifier`.
set -euo pipefail
BUILD=${1:-build}
OUT=${2:-out/demo}
PORT=${DEMO_PORT:-8080}
USERS=${DEMO_USERS:-1500}
ITEMS=${DEMO_ITEMS:-10000}
CATEGORIES=${DEMO_CATEGORIES:-100}
EPOCHS=${DEMO_EPOCHS:-2}
SAMPLES=${DEMO_SAMPLES_PER_EPOCH:-60000}  # a few minutes of training on 2 cores; 0 = whole epochs
RECO="$BUILD/bin/reco"
SERVER="$BUILD/bin/reco-recommender"
mkdir -p "$OUT"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

step "1/5 generate behaviour events ($USERS shoppers, $ITEMS items, $CATEGORIES categories, 9 days)"
"$RECO" gen-events --users "$USERS" --items "$ITEMS" --categories "$CATEGORIES" --days 9 --seed 7 \
  --out "$OUT/events.csv"
wc -l "$OUT/events.csv"

step "2/5 train the DIN ranker ($EPOCHS epochs of $SAMPLES samples)"
"$RECO" train-ranker --events "$OUT/events.csv" --model din --epochs "$EPOCHS" --batch-size 256 --limit "$SAMPLES" \
  --out "$OUT/din_run" --metrics-json "$OUT/din.metrics.json"

step "3/5 export the model folder"
rm -rf "$OUT/models/din"
"$RECO" export --checkpoint "$OUT/din_run/best.pt" --out "$OUT/models/din"
find "$OUT/models/din" -type f | sort

step "4/5 import the events and start reco-recommender"
rm -rf "$OUT/store"
"$SERVER" import --events "$OUT/events.csv" --data-dir "$OUT/store"
rm -f "$OUT/port"
"$SERVER" --data-dir "$OUT/store" --model-dir "$OUT/models/din" --port "$PORT" --port-file "$OUT/port" \
  >"$OUT/recommender.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 300); do
  [ -s "$OUT/port" ] && curl -sf "http://127.0.0.1:$(cat "$OUT/port")/readyz" >/dev/null 2>&1 && break
  if ! kill -0 $pid 2>/dev/null; then echo "reco-recommender exited; log:" >&2; cat "$OUT/recommender.log" >&2; exit 1; fi
  sleep 0.1
done
url="http://127.0.0.1:$(cat "$OUT/port")"

step "5/5 a recommendation for shopper 42"
curl -sf "$url/v1/recommend?user_id=42&k=5"
echo
printf '\nstorefront: %s/   (API: docs/online.md; log: %s/recommender.log)\n' "$url" "$OUT"
if [ "${DEMO_ONCE:-0}" = 1 ]; then exit 0; fi
echo "serving until Ctrl-C"
wait $pid
