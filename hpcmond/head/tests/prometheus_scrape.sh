#!/usr/bin/env bash
# A real Prometheus scrapes hpcmond's /metrics every second; its query API then returns
# our series with the cluster and node labels. Both processes are stopped, pass or fail.
#   usage: prometheus_scrape.sh HPCMOND_HEAD WORKDIR
set -euo pipefail
head_bin="$1" work="$2"
python=/usr/bin/python3
command -v prometheus >/dev/null || { echo "FAIL: prometheus not installed (Debian package prometheus)" >&2; exit 1; }
rm -rf "$work" && mkdir -p "$work/records" "$work/tsdb"
fail() { echo "FAIL: $*" >&2; exit 1; }
free_port() { "$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true' EXIT

head_port="$(free_port)"
cat >"$work/head.yaml" <<YAML
general:
  node_sample_interval_s: 0.5
hpc:
  record_dir: $work/records
history:
  path: $work/history
api:
  port: $head_port
  agent_port: $(free_port)
YAML
env -u SLURM_CONF HPCMON_ALERTING__STATE_FILE="$work/alerts.json" "$head_bin" --config "$work/head.yaml" >"$work/head.log" 2>&1 &
pids+=($!)

prom_port="$(free_port)"
cat >"$work/prometheus.yml" <<YAML
global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: hpcmond
    static_configs:
      - targets: ["127.0.0.1:$head_port"]
YAML
prometheus --config.file="$work/prometheus.yml" --storage.tsdb.path="$work/tsdb" \
  --web.listen-address="127.0.0.1:$prom_port" >"$work/prometheus.log" 2>&1 &
pids+=($!)

query() { curl -s --get "http://127.0.0.1:$prom_port/api/v1/query" --data-urlencode "query=$1"; }
for _ in $(seq 150); do
  out="$(query 'hpcmon_node_mem_total_bytes{job="hpcmond"}' || true)"
  if "$python" - "$out" <<'PY'
import json, sys
try:
    d = json.loads(sys.argv[1])
except ValueError:
    sys.exit(1)
r = d.get("data", {}).get("result", [])
sys.exit(0 if d.get("status") == "success" and len(r) == 1 and float(r[0]["value"][1]) > 0 else 1)
PY
  then break; fi
  sleep 0.2
done
"$python" - "$out" "$(hostname -s)" <<'PY' || { tail -5 "$work/prometheus.log" >&2; exit 1; }
import json, sys
d = json.loads(sys.argv[1])
r = d["data"]["result"]
if len(r) != 1:
    sys.exit(f"FAIL: expected one hpcmon_node_mem_total_bytes series, got {sys.argv[1]}")
labels = r[0]["metric"]
want = {"__name__": "hpcmon_node_mem_total_bytes", "cluster": "local", "node": sys.argv[2],
        "instance": labels.get("instance"), "job": "hpcmond"}
if labels != want:
    sys.exit(f"FAIL: labels {labels}, expected {want}")
PY
up="$(query 'up{job="hpcmond"}')"
[[ "$up" == *'"value":['*',"1"]'* ]] || fail "target not up: $up"
scans="$(query 'hpcmon_records_scans_total')"
[[ "$scans" == *'"cluster":"local"'* ]] || fail "hpcmon_records_scans_total missing: $scans"
echo "PASS: Prometheus scraped hpcmond"
