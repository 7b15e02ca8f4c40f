#!/usr/bin/env bash
# Runs every test: the CTest suite (unit, integration, conformance, CLI and end-to-end tests).
set -euo pipefail
build_dir=${1:-build}
cd "$(dirname "$0")/.."
# LibTorch/OpenMP: one thread per test process; two tests run at once on a 2-core machine.
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
ctest --test-dir "$build_dir" --output-on-failure -j "${CTEST_JOBS:-$(nproc)}" "${@:2}"
