#!/usr/bin/env bash
# What spank_hpcmon.so adds to a job step: wall time of `srun -n2 true` (median and 90th
# percentile of N runs, 0.3 s apart so no step waits for the previous job's epilog) on a private Slurm cluster, without the plugin, with it and no agent,
# with a listening agent, with a stuck agent (never accepts), and with --hpcmon=off.
# Usage: bash bench/spank.sh [RUNS]   (builds into $HPCMON_BUILD_DIR or ./build; the cluster
# lives in a temporary directory on ports $HPCMON_SLURM_CTLD_PORT/_SLURMD_PORT, default 17917/17918)
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${HPCMON_BUILD_DIR:-$root/build}"
runs="${1:-40}"
export HPCMON_SLURM_CTLD_PORT="${HPCMON_SLURM_CTLD_PORT:-17917}" HPCMON_SLURM_SLURMD_PORT="${HPCMON_SLURM_SLURMD_PORT:-17918}"
cmake -S "$root" -B "$build" >/dev/null
cmake --build "$build" -j "$(nproc)" --target spank_hpcmon hpcmon_mpi >/dev/null
dir="$(mktemp -d /tmp/spank-bench.XXXXXX)"
listener=""
cleanup() {
  [[ -n "$listener" ]] && kill "$listener" 2>/dev/null
  bash "$root/scripts/slurm-down.sh" "$dir/cluster" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
: >"$dir/empty.conf"
echo "optional $build/lib/spank_hpcmon.so record_dir=$dir/records run_dir=$dir/run agent_socket=$dir/agent.sock preload=$build/lib/libhpcmon_mpi.so" >"$dir/plugin.conf"
up() { HPCMON_SLURM_PLUGSTACK="$1" bash "$root/scripts/slurm-up.sh" "$dir/cluster" >/dev/null 2>&1; }
up "$dir/empty.conf"
source "$dir/cluster/env.sh"

# measure LABEL SRUN-ARGS...: median and p90 of RUNS steps, after 3 warm-up steps.
measure() {
  local label="$1"; shift
  for _ in 1 2 3; do srun "$@" -n2 true 2>/dev/null; done
  local times=()
  for _ in $(seq "$runs"); do
    sleep 0.3  # the previous job completes (epilog) first: no queueing in the figure
    local t0=$(date +%s%N)
    srun "$@" -n2 true 2>/dev/null
    times+=($(( ($(date +%s%N) - t0) / 1000 )))
  done
  printf '%s\n' "${times[@]}" | sort -n | awk -v l="$label" '{a[NR]=$1} END {
    printf "%-34s median %6.1f ms   p90 %6.1f ms   (%d steps)\n", l, a[int((NR+1)/2)]/1000, a[int(NR*0.9+0.5)]/1000, NR}'
}

agent() {  # agent MODE: accept (reads every line) or stuck (listens, never accepts)
  /usr/bin/python3 - "$dir/agent.sock" "$1" <<'PY' &
import os, socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(sys.argv[1]); s.listen(0 if sys.argv[2] == "stuck" else 128)
while True:
    if sys.argv[2] == "stuck":
        time.sleep(60); continue
    c, _ = s.accept()
    while c.recv(65536): pass
    c.close()
PY
  listener=$!
  for _ in $(seq 50); do [[ -S "$dir/agent.sock" ]] && break; sleep 0.1; done
}
stop_agent() { kill "$listener"; wait "$listener" 2>/dev/null || true; listener=""; rm -f "$dir/agent.sock"; }

measure "no plugin"
up "$dir/plugin.conf"
measure "plugin, no agent"
measure "plugin, --hpcmon=off" --hpcmon=off
agent accept
measure "plugin, listening agent"
stop_agent
agent stuck
measure "plugin, stuck agent (100 ms cap)"
stop_agent
