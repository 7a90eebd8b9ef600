#!/usr/bin/env bash
# Builds and runs store_bench (hdf5_store record write/read time and size).
# Usage: bench/store_bench.sh [BUILD_DIR] [REPEATS]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
cmake -S "$root" -B "$build" >/dev/null
cmake --build "$build" -j2 --target store_bench >/dev/null
"$build/bin/store_bench" "$(mktemp -d)" "${2:-5}"
