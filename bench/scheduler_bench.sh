#!/usr/bin/env bash
# Cost of reading the scheduler's RPC statistics (docs/benchmarks.md, "Scheduler statistics"):
# starts a private cluster with accounting (MariaDB + slurmdbd) in a folder of its own, fills
# slurmctld's tables with some traffic, runs hpcmon_scheduler_bench, stops everything.
#   HPCMON_BUILD_DIR=build bash bench/scheduler_bench.sh [ROUNDS]
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${HPCMON_BUILD_DIR:-$here/build}"
rounds="${1:-200}"
dir="$(mktemp -d /tmp/hpcmon-sched-bench.XXXXXX)"
chmod 755 "$dir"  # mysql (MariaDB of the cluster) must enter it
export HPCMON_SLURM_CTLD_PORT="${HPCMON_SLURM_CTLD_PORT:-7317}" HPCMON_SLURM_SLURMD_PORT="${HPCMON_SLURM_SLURMD_PORT:-7318}"
export HPCMON_SLURMDBD_PORT="${HPCMON_SLURMDBD_PORT:-7319}" HPCMON_MARIADB_PORT="${HPCMON_MARIADB_PORT:-23506}"
trap 'bash "$here/scripts/slurm-accounting-down.sh" "$dir/cluster" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
bash "$here/scripts/slurm-accounting-up.sh" "$dir/cluster" >/dev/null
# shellcheck disable=SC1091
source "$dir/cluster/env.sh"
# Traffic of several kinds and users, so that the tables have the rows of a working cluster.
for _ in $(seq 20); do squeue >/dev/null; sinfo >/dev/null; done
for _ in $(seq 5); do sbatch -H --wrap true >/dev/null; done
scancel -u "$(id -un)" || true
sacct -n >/dev/null
"$build/bin/hpcmon_scheduler_bench" "$rounds" "$dir/history"
