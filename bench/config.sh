#!/usr/bin/env bash
# Cost of reading hpcmon's configuration (first load with PAPI's preset table, later loads,
# rebuild from exported HPCMON_* variables) and of one `hpcmon-config check` process.
# Usage: bash bench/config.sh   (builds into $HPCMON_BUILD_DIR or ./build)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${HPCMON_BUILD_DIR:-$root/build}"
cmake -S "$root" -B "$build" >/dev/null
cmake --build "$build" -j "$(nproc)" --target hpcmon_config_bench hpcmon-config >/dev/null
file="$root/config/performance_monitoring_config.yaml"
"$build/bin/hpcmon_config_bench" "$file" 1000
runs=50
start=$(date +%s%N)
for _ in $(seq $runs); do "$build/bin/hpcmon-config" check --no-env "$file" >/dev/null; done
check_ns=$(( ($(date +%s%N) - start) / runs ))
start=$(date +%s%N)
for _ in $(seq $runs); do "$build/bin/hpcmon-config" schema >/dev/null; done
schema_ns=$(( ($(date +%s%N) - start) / runs ))
echo "hpcmon-config check, mean of $runs processes: $(( check_ns / 1000 )) us"
echo "hpcmon-config schema (same process start, no file, no PAPI): $(( schema_ns / 1000 )) us"
