#!/bin/sh
# Cost of the diagnosis per job record (16, 256, 4096 ranks): docs/benchmarks.md, "diagnosis".
# Usage: bench/diagnosis_bench.sh [BUILD_DIR]   (default: build)
set -eu
build=${1:-build}
cmake --build "$build" --target hpcmon_diagnosis_bench >/dev/null
"$build/bin/hpcmon_diagnosis_bench" "${TMPDIR:-/tmp}"
