#!/usr/bin/env bash
# REST latency and throughput of the head daemon: hpcmond pinned to CPU 0, wrk pinned to
# CPU 1, 16 connections, one thread. Goal (issue 7): p99 <= 5 ms at >= 2,000 requests/s on
# /api/v1/metrics.
#   usage: HPCMON_BUILD_DIR=build bash bench/hpcmond_head.sh [DURATION] [PATH...]
set -euo pipefail
build="${HPCMON_BUILD_DIR:?set HPCMON_BUILD_DIR to a build directory}"
duration="${1:-30s}"; shift || true
paths=("$@"); ((${#paths[@]})) || paths=(/api/v1/metrics)
work="$(mktemp -d)"
port="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
cat >"$work/head.yaml" <<YAML
hpc:
  record_dir: $work/records
api:
  port: $port
  agent_port: $(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
YAML
mkdir -p "$work/records"
env -u SLURM_CONF taskset -c 0 "$build/bin/hpcmond" --config "$work/head.yaml" 2>"$work/head.log" &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/api/v1/health" >/dev/null && break; sleep 0.1; done
for path in "${paths[@]}"; do
  echo "== $path"
  taskset -c 1 wrk -t1 -c16 -d"$duration" --latency "http://127.0.0.1:$port$path"
done
