#!/usr/bin/env bash
# Fixed-rate latency of the head daemon (issue 7's goal: p99 <= 5 ms at 2,000 requests/s on
# /api/v1/metrics): hpcmond pinned to CPU 0, the rate-limited client hpcmond_rate.cpp
# (built here with g++) pinned to CPU 1, 16 keep-alive connections, latency counted from each
# request's scheduled send time. Prints the load average before and after.
# HPCMON_BENCH_SCHED="chrt -f 10" runs the daemon and the client under that prefix (the
# scheduling a service unit's CPUSchedulingPolicy= would give; nice is void across autogroups).
#   usage: HPCMON_BUILD_DIR=build bash bench/hpcmond_rate.sh [RATE] [SECONDS] [PATH...]
set -euo pipefail
build="${HPCMON_BUILD_DIR:?set HPCMON_BUILD_DIR to a build directory}"
rate="${1:-2000}"; seconds="${2:-30}"; shift 2 || true
paths=("$@"); ((${#paths[@]})) || paths=(/api/v1/metrics)
here="$(cd "$(dirname "$0")" && pwd)"
work="$(mktemp -d)"
g++ -O2 -std=c++20 -o "$work/hpcmond_rate" "$here/hpcmond_rate.cpp"
source "$here/../tests/e2e/head_standalone.sh"
write_head_config "$work"
read -r -a sched <<<"${HPCMON_BENCH_SCHED:-}"
launch_head "$build/bin/hpcmond" "$work" ${sched[@]+"${sched[@]}"} taskset -c 0
trap 'stop_head; rm -rf "$work"' EXIT
wait_head_up || { cat "$work/head.log" >&2; exit 1; }
port="$head_port"
for path in "${paths[@]}"; do
  echo "loadavg before: $(cat /proc/loadavg)"
  ${sched[@]+"${sched[@]}"} taskset -c 1 "$work/hpcmond_rate" 127.0.0.1 "$port" "$path" "$rate" "$seconds" 16
  echo "loadavg after:  $(cat /proc/loadavg)"
done
