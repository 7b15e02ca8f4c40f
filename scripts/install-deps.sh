#!/usr/bin/env bash
# Installs the Debian 12 packages reco needs, only those missing. Idempotent and quiet when all are present.
# Usage: scripts/install-deps.sh [build|test|bench|all]   (default: build)
set -euo pipefail

BUILD_PKGS=(
  build-essential cmake ninja-build ccache pkg-config git
  libtorch-dev                      # training (LibTorch 1.13)
  libonnx-dev protobuf-compiler libprotobuf-dev   # ONNX IR, checker, shape inference
  libdnnl-dev libopenblas-dev       # GEMM / conv kernels
  libboost-dev                      # Asio / Beast (header-only)
  libgrpc++-dev protobuf-compiler-grpc
  rapidjson-dev libspdlog-dev libfmt-dev libcli11-dev zlib1g-dev
  librocksdb-dev libhiredis-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  dataset-fashion-mnist             # default classifier data
)
TEST_PKGS=(
  libonnx-testdata                  # ONNX backend node tests for the engine conformance harness
  python3-torch python3-onnx python3-grpcio python3-grpc-tools  # reference models and clients (/usr/bin/python3)
  curl procps
  chromium nodejs npm               # storefront browser test (playwright-core from npm, tests/online/service/browser)
)
BENCH_PKGS=(wrk hyperfine nodejs npm)

want=("${BUILD_PKGS[@]}")
case "${1:-build}" in
  build) ;;
  test) want+=("${TEST_PKGS[@]}") ;;
  bench|all) want+=("${TEST_PKGS[@]}" "${BENCH_PKGS[@]}") ;;
  *) echo "install-deps: unknown group '$1' (use build, test, bench or all)" >&2; exit 2 ;;
esac

missing=()
for p in "${want[@]}"; do
  # node/npm may come from outside Debian (e.g. a preinstalled toolchain): a working binary is enough.
  if [[ $p == nodejs || $p == npm ]] && command -v "${p%js}" >/dev/null 2>&1; then continue; fi
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO=sudo; else
    echo "install-deps: missing Debian packages: ${missing[*]}" >&2
    echo "install-deps: run as root (or install them with apt-get) and try again" >&2
    exit 1
  fi
else SUDO=; fi

echo "install-deps: installing ${#missing[@]} package(s): ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Refresh the package lists once if they are empty or older than a day.
if [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*Packages*' -mmin -1440 2>/dev/null | head -1)" ]; then
  $SUDO apt-get update -qq
fi
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/reco-apt.log 2>&1 || {
  echo "install-deps: apt-get install failed; last lines of /tmp/reco-apt.log:" >&2; tail -20 /tmp/reco-apt.log >&2; exit 1; }
echo "install-deps: done"
