#!/usr/bin/env bash
# Builds and runs sampler_bench: cost of one sample per papi_sampler source and the CPU
# share of a 1 Hz sampler of all sources, in one run.
# Usage: bench/sampler_bench.sh [BUILD_DIR] [ITERATIONS] [SECONDS_AT_1HZ]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
cmake -S "$root" -B "$build" >/dev/null
cmake --build "$build" -j2 --target sampler_bench >/dev/null
"$build/bin/sampler_bench" "${2:-2000}" "${3:-10}"
