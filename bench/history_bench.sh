#!/usr/bin/env bash
# History store figures (docs/benchmarks.md, "History"): ingest rate on one core, bytes per
# sample on disk (regular and irregular series), range queries over a day and a month of one
# node's series, raw and with a step.
#   usage: bench/history_bench.sh [BUILD_DIR] [WORK_DIR]   (defaults: build, /tmp/hpcmon-history-bench)
# The store's folder should be on a real disk (fdatasync figures); pinned to one core.
set -euo pipefail
build="${1:-build}" work="${2:-/tmp/hpcmon-history-bench}"
cmake --build "$build" --target hpcmond_history_bench >/dev/null
exec taskset -c 0 "$build/bin/hpcmond_history_bench" "$work"
