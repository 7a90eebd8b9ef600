#!/bin/sh
# Cost of the head's live diagnosis per evaluation tick for N running jobs: docs/benchmarks.md,
# "diagnosis". Usage: bench/diagnosis_live_bench.sh [BUILD_DIR]   (default: build)
set -eu
build=${1:-build}
cmake --build "$build" --target hpcmon_diagnosis_live_bench >/dev/null
"$build/bin/hpcmon_diagnosis_live_bench"
