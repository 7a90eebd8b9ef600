# Shared set-up of the end-to-end tests. Usage: source lib.sh CLUSTER_DIR PRELOAD HPCMON HEAT1D WORKDIR
cluster_dir="$1" preload="$2" hpcmon="$3" heat1d="$4" work="$5"
python="${HPCMON_PYTHON:-/usr/bin/python3}"
# A cluster confining steps with cgroups (HPCMON_SLURM_CGROUP=1) needs a writable cgroup v1
# memory controller: the test is skipped (77) without one.
if [[ "${HPCMON_SLURM_CGROUP:-0}" == 1 && ! -w /sys/fs/cgroup/memory/cgroup.procs && ! -w /sys/fs/cgroup/memory/tasks ]]; then
  echo "SKIP: no writable cgroup v1 memory controller"
  exit 77
fi
# A test on a cluster of its own (HPCMON_E2E_OWN_CLUSTER=1) stops that cluster however it ends,
# also when it fails before setting its own exit trap.
if [[ "${HPCMON_E2E_OWN_CLUSTER:-0}" == 1 ]]; then
  trap 'rc=$?; bash "$(dirname "${BASH_SOURCE[0]}")/../../scripts/slurm-down.sh" "$cluster_dir" >/dev/null 2>&1; exit $rc' EXIT
fi
# These tests run without the SPANK plugin: make sure the shared cluster has none listed
# (slurm-up.sh is idempotent and resets the plugin stack when another test left one).
bash "$(dirname "${BASH_SOURCE[0]}")/../../scripts/slurm-up.sh" "$cluster_dir" >/dev/null
# shellcheck disable=SC1091
source "$cluster_dir/env.sh"
[[ -n "${SLURM_CONF:-}" ]] || { echo "FAIL: SLURM_CONF not set" >&2; exit 1; }
# A job of the previous test may still be completing: start on an empty queue so this test's
# jobs start at once (the cluster has as many CPUs as the machine).
for _ in $(seq 600); do
  [[ -z "$(squeue -h -o %i 2>/dev/null)" ]] && break
  sleep 0.1
done
rm -rf "$work" && mkdir -p "$work/records"
records="$work/records"

fail() { echo "FAIL: $*" >&2; exit 1; }

# The job id of the newest job called NAME, from slurmctld (completed jobs stay listed for MinJobAge).
job_id_named() { scontrol -o show job | sed -nE "s/^JobId=([0-9]+) .*JobName=$1 .*/\1/p" | sort -n | tail -1; }

# One field of `scontrol show job`, e.g. job_field 12 NumNodes
job_field() { scontrol -o show job "$1" | tr ' ' '\n' | sed -nE "0,/^$2=/s/^$2=//p"; }

# hpcmon's JSON export of a record, for python checks.
export_json() { "$hpcmon" export "$1" --format json; }
