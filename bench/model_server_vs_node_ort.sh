#!/usr/bin/env bash
# reco-model-server vs a minimal Node.js server (node:http + onnxruntime-node 1.30, bench/ort/server.js) doing
# the same parse -> run -> JSON work, measured with wrk in the same run, loopback only, a few seconds per cell:
#   (a) the torch-exported seed model, batch 1;  (b) the DIN-style model scoring one user x 100 candidates.
# Reports requests/s and p50/p99 latency for both servers and the ratios, plus reco's server overhead:
# single-connection p50 minus the engine's own p50 for the same request (`reco bench-model`).
# Goal: >= 3x the Node server's throughput at equal or lower p99; overhead <= 50 us for the small model.
# Usage: bench/model_server_vs_node_ort.sh [build_dir] [seconds_per_cell] [connections]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${1:-build}
SECS=${2:-5}
CONNS=${3:-16}
PY=/usr/bin/python3
W=$(mktemp -d)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$W"; }
trap cleanup EXIT
command -v wrk >/dev/null || { echo "wrk is required: make deps-bench" >&2; exit 1; }
[ -x "$BUILD/bin/reco-model-server" ] || { echo "build first: make build" >&2; exit 1; }
if [ ! -d bench/ort/node_modules/onnxruntime-node ]; then
  (cd bench/ort && ONNXRUNTIME_NODE_INSTALL=skip npm install --no-audit --no-fund >/dev/null)
fi

$PY tests/models/make_models.py "$W/models" >/dev/null
for m in seed din; do mkdir -p "$W/repo/$m/1" && cp "$W/models/$m/model.onnx" "$W/repo/$m/1/"; done
cat > "$W/models.config" <<CFG
model_config_list: {
  config: { name: "seed", base_path: "$W/repo/seed", model_platform: "onnx" },
  config: { name: "din", base_path: "$W/repo/din", model_platform: "onnx" },
}
CFG

# Request bodies (columnar TF Serving format) and wrk's POST script.
$PY - "$W" <<'PYEOF'
import json, random, sys
w = sys.argv[1]
rng = random.Random(7)
seed = {"inputs": {"user_input": [[rng.random() for _ in range(8)]], "item_input": [[rng.random() for _ in range(8)]]}}
L, n = 20, 100
hist_item = [rng.randrange(1000) for _ in range(L)]
hist_cate = [rng.randrange(100) for _ in range(L)]
mask = [1.0] * 12 + [0.0] * (L - 12)
din = {"inputs": {"hist_item": [hist_item] * n, "hist_cate": [hist_cate] * n, "hist_mask": [mask] * n,
                  "target_item": [rng.randrange(1000) for _ in range(n)],
                  "target_cate": [rng.randrange(100) for _ in range(n)]}}
for name, body in (("seed", seed), ("din", din)):
    open(f"{w}/{name}.json", "w").write(json.dumps(body))
    open(f"{w}/{name}.lua", "w").write(
        'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/json"\n'
        f'local f = io.open("{w}/{name}.json")\nwrk.body = f:read("*a")\nf:close()\n')
PYEOF

REST=18501; NODE=18502
"$BUILD/bin/reco-model-server" --port 0 --rest_api_port $REST --model_config_file "$W/models.config" \
  --file_system_poll_wait_seconds 0 --log_level warn &
PIDS+=($!)
node bench/ort/server.js $NODE seed="$W/repo/seed/1/model.onnx" din="$W/repo/din/1/model.onnx" 2>/dev/null &
PIDS+=($!)
for port in $REST $NODE; do
  for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/" && break; sleep 0.1; done
done

# Same answer from both servers (1e-5) before timing anything.
for m in seed din; do
  curl -s -d @"$W/$m.json" "http://127.0.0.1:$REST/v1/models/$m:predict" > "$W/$m.reco.out"
  curl -s -d @"$W/$m.json" "http://127.0.0.1:$NODE/v1/models/$m:predict" > "$W/$m.node.out"
  $PY - "$W/$m.reco.out" "$W/$m.node.out" <<'PYEOF'
import json, sys
a, b = (json.load(open(p))["outputs"] for p in sys.argv[1:3])
flat = lambda v: [x for y in v for x in flat(y)] if isinstance(v, list) else [v]
d = max(abs(x - y) for x, y in zip(flat(a), flat(b)))
assert len(flat(a)) == len(flat(b)) and d <= 1e-5, f"outputs differ: {d}"
PYEOF
done

# wrk's --latency report -> "rps p50_us p99_us"
run_wrk() {  # port model connections
  wrk -t"$(( $3 < 2 ? 1 : 2 ))" -c"$3" -d"${SECS}s" --latency -s "$W/$2.lua" "http://127.0.0.1:$1/v1/models/$2:predict" > "$W/wrk.txt"
  $PY - "$W/wrk.txt" <<'PYEOF'
import re, sys
t = open(sys.argv[1]).read()
def us(s):
    m = re.match(r"([\d.]+)(us|ms|s|m)$", s)
    if not m:
        sys.exit("cannot read wrk's latency '%s' in:\n%s" % (s, t))
    v, u = m.groups()
    return float(v) * {"us": 1, "ms": 1e3, "s": 1e6, "m": 6e7}[u]
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", t).group(1))
p50 = us(re.search(r"^\s+50%\s+(\S+)", t, re.M).group(1))
p99 = us(re.search(r"^\s+99%\s+(\S+)", t, re.M).group(1))
errors = re.search(r"Non-2xx or 3xx responses: (\d+)", t)
print(rps, p50, p99, errors.group(1) if errors else 0)
PYEOF
}

printf '| model | server | conns | requests/s | p50 µs | p99 µs | non-2xx |\n|---|---|---|---|---|---|---|\n'
declare -A R
for m in seed din; do
  for s in reco node; do
    port=$([ $s = reco ] && echo $REST || echo $NODE)
    read -r rps p50 p99 errs < <(run_wrk "$port" "$m" "$CONNS")
    R[$m.$s]="$rps $p50 $p99"
    printf '| %s | %s | %s | %.0f | %.0f | %.0f | %s |\n' "$m" "$s" "$CONNS" "$rps" "$p50" "$p99" "$errs"
  done
done
echo
for m in seed din; do
  read -r rr rp50 rp99 <<<"${R[$m.reco]}"; read -r nr np50 np99 <<<"${R[$m.node]}"
  printf '%s: throughput reco/node = %.2fx (goal >= 3), p99 reco %.0f us vs node %.0f us\n' "$m" \
    "$(awk "BEGIN{print $rr/$nr}")" "$rp99" "$np99"
done

# Server overhead for the small model: one connection, p50 through HTTP minus the engine's p50 in-process.
read -r _ sp50 _ _ < <(run_wrk $REST seed 1)
ep50=$("$BUILD/bin/reco" bench-model "$W/repo/seed/1/model.onnx" --batch 1 --runs 2000 --json | \
       $PY -c "import json,sys; print(json.loads(sys.stdin.readline())['median_us'])")
printf 'seed, 1 connection: server p50 %.0f us, engine p50 %.1f us -> server overhead %.0f us (goal <= 50; wrk timing included)\n' \
  "$sp50" "$ep50" "$(awk "BEGIN{print $sp50-$ep50}")"
# For scale: the same one-connection p50 for the Node server, and reco's floor for any HTTP exchange on this
# machine (GET the model status: no JSON body to parse, no model run), i.e. wrk + loopback TCP + Beast.
read -r _ np50 _ _ < <(run_wrk $NODE seed 1)
wrk -t1 -c1 -d"${SECS}s" --latency "http://127.0.0.1:$REST/v1/models/seed" > "$W/wrk.txt"
fp50=$($PY - "$W/wrk.txt" <<'PYEOF'
import re, sys
t = open(sys.argv[1]).read()
v, u = re.match(r"([\d.]+)(us|ms|s)$", re.search(r"^\s+50%\s+(\S+)", t, re.M).group(1)).groups()
print(float(v) * {"us": 1, "ms": 1e3, "s": 1e6}[u])
PYEOF
)
printf 'seed, 1 connection: node p50 %.0f us; reco GET /v1/models/seed p50 %.0f us (transport floor) -> predict minus floor %.0f us\n' \
  "$np50" "$fp50" "$(awk "BEGIN{print $sp50-$fp50}")"
