#!/usr/bin/env bash
# Dashboard figures (docs/benchmarks.md, "webui"): GET /api/v1/jobs/{id}/record for synthetic
# records of 16, 256 and 4096 ranks (first answer: HDF5 read and JSON; then from the cache),
# answer sizes, and the static files' throughput with wrk.
# Usage: bench/webui_bench.sh [BUILD_DIR] [PORT]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${1:-$root/build}"
port="${2:-3460}"
cmake --build "$build" -j2 --target hpcmond hpcmon_webui webui_record_bench >/dev/null
work="$(mktemp -d)"
trap 'kill "$head_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
"$build/bin/webui_record_bench" "$work/records" 16 256 4096 >/dev/null
cat >"$work/head.yaml" <<YAML
hpc:
  record_dir: $work/records
api:
  port: $port
  agent_port: $((port + 1))
  record_scan_interval_s: 0.5
  merge_timeout_s: 0
alerting:
  state_file: $work/alerts.json
history:
  path: $work/history
YAML
"$build/bin/hpcmond" --config "$work/head.yaml" >"$work/head.log" 2>&1 &
head_pid=$!
url="http://127.0.0.1:$port"
for _ in $(seq 300); do
  [[ "$(curl -s "$url/api/v1/jobs?limit=10" 2>/dev/null)" == *'"total":3'* ]] && break
  sleep 0.1
done
sleep 2  # merges (timeout 0) settle
printf 'load average %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)"
printf '%6s %12s %14s %12s\n' ranks first_ms cached_ms_p50 body_KiB
for ranks in 16 256 4096; do
  first="$(curl -s -o "$work/body" -w '%{time_total}' "$url/api/v1/jobs/$ranks/record")"
  for _ in $(seq 20); do curl -s -o /dev/null -w '%{time_total}\n' "$url/api/v1/jobs/$ranks/record"; done >"$work/times"
  p50="$(sort -n "$work/times" | sed -n 10p)"
  printf '%6d %12.1f %14.1f %12.0f\n' "$ranks" "$(echo "$first * 1000" | bc -l)" "$(echo "$p50 * 1000" | bc -l)" \
    "$(echo "$(stat -c %s "$work/body") / 1024" | bc -l)"
done
for path in / /ui/vendor/uPlot.esm.js; do
  echo "wrk -t2 -c8 -d5s $url$path"
  wrk -t2 -c8 -d5s "$url$path" | grep -E 'Requests/sec|Latency'
done
