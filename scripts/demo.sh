#!/usr/bin/env bash
# The main job: installs what hpcmon needs, builds it, starts a private single-node Slurm with
# the hpcmon SPANK plugin, the node agent and the head daemon, runs monitored jobs (an
# unmodified MPI program and a non-MPI step, finished, and an MPI job left running), shows
# their records and the API, and prints the dashboard's URL.
# The cluster, the daemons and the running job keep running afterwards;
# `bash scripts/demo.sh stop` cancels the job and stops them.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${HPCMON_BUILD_DIR:-$root/build}"
demo="$build/demo"
port="${HPCMON_DEMO_PORT:-3001}"
agent_port="${HPCMON_DEMO_AGENT_PORT:-$((port + 1))}"

stop_demo() {
  if [[ -f "$demo/cluster/env.sh" ]]; then
    # shellcheck disable=SC1091
    (source "$demo/cluster/env.sh" && scancel --quiet --user "$(id -un)" 2>/dev/null) || true
  fi
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
# Tokens of the demo: the agents' push token and the human one (acknowledging alerts).
(umask 077 && for t in agent api; do head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$demo/$t.token"; done)

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
  head_url: http://127.0.0.1:$agent_port
  token_file: $demo/agent.token
  push_interval_s: 1.0
api:
  port: $port
  agent_port: $agent_port
  token_file: $demo/api.token
  agent_token_file: $demo/agent.token
  record_scan_interval_s: 1.0
  slurm_poll_interval_s: 2.0
  merge_timeout_s: 30.0
alerting:
  state_file: $demo/alerts.json
history:
  path: $demo/history
EOF
"$build/bin/hpcmon-config" check "$demo/hpcmon.yaml" >/dev/null

echo
echo "== A private Slurm with the hpcmon plugin, node agent and head daemon =="
echo "optional $build/lib/spank_hpcmon.so record_dir=$demo/records run_dir=$demo/run agent_socket=$demo/agent.sock preload=$build/lib/libhpcmon_mpi.so" \
  >"$demo/plugstack.conf"
HPCMON_SLURM_PLUGSTACK="$demo/plugstack.conf" bash "$root/scripts/slurm-up.sh" "$demo/cluster"
# shellcheck disable=SC1091
source "$demo/cluster/env.sh"
"$build/bin/hpcmond" --config "$demo/hpcmon.yaml" >"$demo/head.log" 2>&1 &
echo $! >"$demo/head.pid"
"$build/bin/hpcmond" --agent --config "$demo/hpcmon.yaml" >"$demo/agent.log" 2>&1 &
echo $! >"$demo/agent.pid"
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

# Left running: an MPI job that computes and sleeps in turns for 10 minutes (live on the
# dashboard; `demo.sh stop` cancels it).
cat >"$demo/sleep_compute.py" <<'PY'
# 10 minutes of compute bursts, halo exchanges and a reduction, with pauses between.
import time
from mpi4py import MPI
comm = MPI.COMM_WORLD
rank, size = comm.Get_rank(), comm.Get_size()
end = time.time() + 600
while time.time() < end:
    busy = time.time() + 0.3 * (1 + rank)
    x = 0.0
    while time.time() < busy:
        x += sum(i * 0.5 for i in range(1000))
    comm.sendrecv(bytearray(65536), dest=(rank + 1) % size, source=(rank - 1) % size)
    comm.allreduce(x)
    time.sleep(2)
PY
running_job="$(sbatch --parsable -J sleep-compute -n2 -t 12 -o "$demo/sleep_compute.out" \
  --wrap "srun --mpi=pmix -n2 /usr/bin/python3 $demo/sleep_compute.py")"
echo "running job $running_job: compute bursts and pauses for 10 minutes"

mpi_job="$(scontrol -o show job | sed -nE 's/^JobId=([0-9]+) .*JobName=heat1d .*/\1/p' | tail -1)"
echo
echo "== The head merges rank 0's MPI record with the node agent's partial into its own canonical record =="
for _ in $(seq 300); do
  answer="$(curl -sf "http://127.0.0.1:$port/api/v1/jobs/$mpi_job" || true)"
  [[ "$answer" =~ \"merge\":\ *\"merged\" ]] && break
  sleep 0.1
done
record="$(find "$demo/canonical-records" "$demo/records" -name "*.$mpi_job.0.r0.0.h5" 2>/dev/null | head -1)"
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
echo "demo: Slurm, the agent and hpcmond keep running (API on http://127.0.0.1:$port), job $running_job runs for 10 minutes."
echo "demo: dashboard: http://127.0.0.1:$port/   (job page of the MPI job: http://127.0.0.1:$port/#/jobs/$mpi_job)"
echo "demo: acknowledging alerts asks for the token in $demo/api.token"
echo "demo: try 'source $demo/cluster/env.sh; srun --mpi=pmix -n2 $build/bin/hpcmon_demo_heat1d'"
echo "demo: stop everything with: bash scripts/demo.sh stop"
