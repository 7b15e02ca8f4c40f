#!/usr/bin/env bash
# reco-recommender under load, loopback only, bounded time (~1 min):
#   1. durable event ingestion over HTTP (POST /v1/events, batches of BATCH, CONNECTIONS concurrent clients,
#      each batch acknowledged only after its fsync'ed group commit) -> events/s; this also fills the store;
#   2. GET /v1/recommend with CANDIDATES candidates ranked by the DIN model, at fixed request rates (open loop:
#      latency counted from each request's due time) -> p50/p99/p99.9 per rate. The USERS shoppers asked for are
#      not among the ingestion phase's; each gets exactly HISTORY behaviours first, so the history length the model
#      sees does not depend on how fast ingestion was.
# Usage: bench/recommender_load.sh [BUILD_DIR]   env: MODEL_DIR (a ranker model folder; default: the contract
#   fixture from tests/models/make_models.py), RATES ("100 300 1000"), SECONDS_PER_RATE (10), CANDIDATES (500),
#   EVENT_SECONDS (10), BATCH (100), CONNECTIONS (16), USERS (2000), HISTORY (10), SERVER_FLAGS (extra server
#   flags), RECOMMENDER (the binary; default BUILD_DIR/bin/reco-recommender, e.g. an older build: before/after).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=${1:-$here/../build}
bin=$build/bin
RATES=${RATES:-"100 300 1000"}
SECONDS_PER_RATE=${SECONDS_PER_RATE:-10}
CANDIDATES=${CANDIDATES:-500}
EVENT_SECONDS=${EVENT_SECONDS:-10}
BATCH=${BATCH:-100}
CONNECTIONS=${CONNECTIONS:-16}
USERS=${USERS:-2000}
HISTORY=${HISTORY:-10}
RECOMMENDER=${RECOMMENDER:-$bin/reco-recommender}
for b in $RECOMMENDER $bin/recommender_loadgen; do
  [[ -x $b ]] || { echo "recommender_load: $b missing (ninja -C $build $(basename $b))" >&2; exit 1; }
done
work=$(mktemp -d /tmp/reco-recommender-load-XXXXXX)
server_pid=
cleanup() {
  if [[ -n $server_pid ]]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

if [[ -z ${MODEL_DIR:-} ]]; then
  if [[ -n ${RECO_MODELS_DIR:-} && -f $RECO_MODELS_DIR/ranker_din/folder/1/manifest.json ]]; then
    MODEL_DIR=$RECO_MODELS_DIR/ranker_din/folder
  else
    echo "making the contract fixture model (tests/models/make_models.py ranker_din) ..."
    /usr/bin/python3 "$here/../tests/models/make_models.py" "$work/models" --only ranker_din > /dev/null
    MODEL_DIR=$work/models/ranker_din/folder
  fi
fi

"$RECOMMENDER" --data-dir "$work/data" --model-dir "$MODEL_DIR" --candidates "$CANDIDATES" \
  --port 0 --port-file "$work/port" --log-level warn ${SERVER_FLAGS:-} &
server_pid=$!
for _ in $(seq 200); do [[ -s $work/port ]] && break; sleep 0.05; done
port=$(cat "$work/port")
echo "reco-recommender pid $server_pid on 127.0.0.1:$port, model $MODEL_DIR, $CANDIDATES candidates, $(nproc) cores," \
  "flags '${SERVER_FLAGS:-}', load average $(cut -d' ' -f1-3 /proc/loadavg)"

echo "== durable event ingestion (POST /v1/events, batch $BATCH, $CONNECTIONS connections, ${EVENT_SECONDS}s)"
"$bin/recommender_loadgen" events --port "$port" --seconds "$EVENT_SECONDS" --batch "$BATCH" \
  --connections "$CONNECTIONS" --first-user 100000
"$bin/recommender_loadgen" events --port "$port" --seconds 3 --batch 1 --connections "$CONNECTIONS" \
  --first-user 100000
"$bin/recommender_loadgen" history --port "$port" --users "$USERS" --per-user "$HISTORY" --first-user 1000

echo "== GET /v1/recommend at fixed rates (${SECONDS_PER_RATE}s each, users 1000..$((1000 + USERS - 1))," \
  "$HISTORY behaviours each)"
curl -s "http://127.0.0.1:$port/v1/recommend?user_id=1000&k=10" | head -c 300; echo
"$bin/recommender_loadgen" recommend --port "$port" --rate 50 --seconds 2 --users "$USERS" > /dev/null || true  # warm
# The server's CPU time (user + system, clock ticks) — per request it says what the machine must supply at a rate,
# whatever else runs on it (wall-clock latencies on a shared machine also measure the other processes).
cpu_ticks() { awk '{print $14 + $15}' "/proc/$server_pid/stat"; }
recommends() { curl -s "http://127.0.0.1:$port/v1/stats" | sed -n 's/.*"recommend_total":\([0-9]*\).*/\1/p'; }
for rate in $RATES; do
  c0=$(cpu_ticks) n0=$(recommends)
  "$bin/recommender_loadgen" recommend --port "$port" --rate "$rate" --seconds "$SECONDS_PER_RATE" \
    --users "$USERS" --connections 64 || true
  c1=$(cpu_ticks) n1=$(recommends)
  awk -v c=$((c1 - c0)) -v n=$((n1 - n0)) -v hz="$(getconf CLK_TCK)" 'BEGIN {
    if (n > 0) printf "  server CPU: %.2f ms per recommendation (%d requests; load average %s)\n", 1000 * c / hz / n, n,
                      "'"$(cut -d' ' -f1 /proc/loadavg)"'" }'
done
echo "== server view (/v1/stats, last 10 s)"
curl -s "http://127.0.0.1:$port/v1/stats"; echo
