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
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
port="$(free_port)"
cat >"$work/head.yaml" <<YAML
hpc:
  record_dir: $work/records
api:
  port: $port
  agent_port: $(free_port)
YAML
mkdir -p "$work/records"
read -r -a sched <<<"${HPCMON_BENCH_SCHED:-}"
env -u SLURM_CONF ${sched[@]+"${sched[@]}"} taskset -c 0 "$build/bin/hpcmond" --config "$work/head.yaml" 2>"$work/head.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/api/v1/metrics" >/dev/null && break; sleep 0.1; done
for path in "${paths[@]}"; do
  echo "loadavg before: $(cat /proc/loadavg)"
  ${sched[@]+"${sched[@]}"} taskset -c 1 "$work/hpcmond_rate" 127.0.0.1 "$port" "$path" "$rate" "$seconds" 16
  echo "loadavg after:  $(cat /proc/loadavg)"
done
