#!/bin/sh
# CTest wrapper of the storefront browser test: installs playwright-core from the lockfile if needed, skips (77)
# without chromium or npm. Usage: run_browser_test.sh BIN_DIR OUT_DIR
set -e
here=$(cd "$(dirname "$0")" && pwd)
if [ ! -x /usr/bin/chromium ] && [ ! -x /usr/bin/chromium-browser ]; then
  echo "SKIP: chromium not installed (scripts/install-deps.sh test)"; exit 77
fi
command -v node >/dev/null 2>&1 || { echo "SKIP: node not installed"; exit 77; }
if [ ! -d "$here/node_modules/playwright-core" ]; then
  command -v npm >/dev/null 2>&1 || { echo "SKIP: npm not installed"; exit 77; }
  (cd "$here" && npm ci --no-audit --no-fund --silent) || { echo "SKIP: npm ci failed (offline?)"; exit 77; }
fi
exec node "$here/storefront.test.js" "$1" "$2"
