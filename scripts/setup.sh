#!/usr/bin/env bash
# Installs everything sprig needs on a fresh Debian machine with Node 20: Debian packages (the
# Fashion-MNIST dataset, oneDNN/OpenBLAS for the native engine, PyTorch as the benchmark peer,
# Chromium for the browser tests, clang + lld for sprig/runtime's WebAssembly kernels), npm
# packages, the native addon and the TypeScript build.
# Idempotent: steps already done are skipped quickly.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS=(dataset-fashion-mnist libdnnl-dev libopenblas-dev python3-torch chromium g++ make python3 redis-server clang lld)
missing=()
for p in "${PKGS[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if ((${#missing[@]})); then
  SUDO=""
  [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${missing[@]}" >/dev/null
fi

ci=0
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci (its install script builds the native engine)" >&2
  npm ci --no-audit --no-fund
  ci=1
fi

# npm hides an install script's output: when npm ci left no addon, build again to show why
if [ "$ci" = 0 ] || [ ! -f native/build/Release/sprig_native.node ]; then
  echo "setup: building the native engine" >&2
  npm run --silent build:native
fi
echo "setup: compiling TypeScript" >&2
npm run --silent build
