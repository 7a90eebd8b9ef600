#!/usr/bin/env bash
# The main job: installs what hpcmon needs, builds it, starts a private single-node Slurm with
# the hpcmon SPANK plugin, the node agent and the head daemon, runs monitored jobs (an
# unmodified MPI program and a non-MPI step), and shows their records and the API.
# The cluster and daemons keep running afterwards; `bash scripts/demo.sh stop` stops them.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${HPCMON_BUILD_DIR:-$root/build}"
demo="$build/demo"
port="${HPCMON_DEMO_PORT:-3001}"

stop_demo() {
  for daemon in head agent; do
    if [[ -s "$demo/$daemon.pid" ]] && kill -0 "$(cat "$demo/$daemon.pid")" 2>/dev/null; then
      kill "$(cat "$demo/$daemon.pid")"
    fi
    rm -f "$demo/$daemon.pid"
  done
  [[ -d "$demo/cluster" ]] && bash "$root/scripts/slurm-down.sh" "$demo/cluster" >/dev/null
  return 0
}
if [[ "${1:-}" == stop ]]; then stop_demo; echo "demo: stopped"; exit 0; fi

bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh"
stop_demo
rm -rf "$demo" && mkdir -p "$demo/records" "$demo/run" && chmod 755 "$demo"
getent group hpcmon >/dev/null || groupadd --system hpcmon  # group of the per-user record folders

echo
echo "== What the sampler reads on $(hostname -s) =="
"$build/bin/hpcmon-sample" >"$demo/sample.txt"
sed -n '1,/^proc.process:/p' "$demo/sample.txt" | sed '$d'
grep -E '^topology|^binding' "$demo/sample.txt"

cat >"$demo/hpcmon.yaml" <<EOF
general:
  sample_interval_s: 0.5
  node_sample_interval_s: 1.0
hpc:
  record_dir: $demo/records
agent:
  socket: $demo/agent.sock
  spool_dir: $demo/spool
api:
  port: $port
  record_scan_interval_s: 1.0
  slurm_poll_interval_s: 2.0
  merge_timeout_s: 30.0
EOF
"$build/bin/hpcmon-config" check "$demo/hpcmon.yaml" >/dev/null

echo
echo "== A private Slurm with the hpcmon plugin, node agent and head daemon =="
echo "optional $build/lib/spank_hpcmon.so record_dir=$demo/records run_dir=$demo/run agent_socket=$demo/agent.sock preload=$build/lib/libhpcmon_mpi.so" \
  >"$demo/plugstack.conf"
HPCMON_SLURM_PLUGSTACK="$demo/plugstack.conf" bash "$root/scripts/slurm-up.sh" "$demo/cluster"
# shellcheck disable=SC1091
source "$demo/cluster/env.sh"
"$build/bin/hpcmond" --agent --config "$demo/hpcmon.yaml" >"$demo/agent.log" 2>&1 &
echo $! >"$demo/agent.pid"
"$build/bin/hpcmond" --config "$demo/hpcmon.yaml" >"$demo/head.log" 2>&1 &
echo $! >"$demo/head.pid"
for _ in $(seq 100); do
  [[ -S "$demo/agent.sock" ]] && curl -sf "http://127.0.0.1:$port/api/v1/health" >/dev/null && break
  sleep 0.1
done
curl -sf "http://127.0.0.1:$port/api/v1/health" >/dev/null || { cat "$demo/head.log"; echo "demo: hpcmond did not start" >&2; exit 1; }
echo "agent on $demo/agent.sock, head on http://127.0.0.1:$port"

echo
echo "== Monitored jobs: nobody changes their program =="
srun --mpi=pmix -n2 -J heat1d "$build/bin/hpcmon_demo_heat1d" 3000
srun -n1 -J non-mpi bash -c 'head -c 300M /dev/zero | tail -c 1 >/dev/null; for ((i = 0; i < 400000; i++)); do :; done; echo "non-mpi step done"'

mpi_job="$(scontrol -o show job | sed -nE 's/^JobId=([0-9]+) .*JobName=heat1d .*/\1/p' | tail -1)"
echo
echo "== The head merges rank 0's MPI record with the node agent's partial =="
for _ in $(seq 300); do
  answer="$(curl -sf "http://127.0.0.1:$port/api/v1/jobs/$mpi_job" || true)"
  [[ "$answer" =~ \"merge\":\ *\"merged\" ]] && break
  sleep 0.1
done
record="$(find "$demo/records" -name "*.$mpi_job.0.r0.0.h5" | head -1)"
"$build/bin/hpcmon" report "$record"

echo
echo "== GET /api/v1/jobs =="
curl -s "http://127.0.0.1:$port/api/v1/jobs" | /usr/bin/python3 -m json.tool >"$demo/jobs.json"
head -40 "$demo/jobs.json"
echo
echo "== GET /metrics (Prometheus) =="
curl -s "http://127.0.0.1:$port/metrics" >"$demo/metrics.txt"
awk '!/^#/ && shown++ < 12' "$demo/metrics.txt"

echo
echo "demo: Slurm, the agent and hpcmond keep running (API on http://127.0.0.1:$port)."
echo "demo: try 'source $demo/cluster/env.sh; srun --mpi=pmix -n2 $build/bin/hpcmon_demo_heat1d'"
echo "demo: stop everything with: bash scripts/demo.sh stop"
