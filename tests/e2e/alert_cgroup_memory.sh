#!/usr/bin/env bash
# JobMemoryNearLimit against the step's cgroup limit, on a cluster whose steps Slurm confines
# with the cgroup v1 memory controller (slurm-up.sh HPCMON_SLURM_CGROUP=1): the node agent reads
# the limit of the step's cgroup and pushes it with the step's readings; the head's alert carries
# exactly the value of the step cgroup's memory.limit_in_bytes (annotation limit_bytes, source
# "cgroup v1") and resolves once the step has ended. Two steps: `srun --mem=200M`, and
# `srun --mem-per-cpu=100M -c 2`, whose request in the API is 2 x 100M per node.
# Runs on a cluster of its own (tests/agent.cmake: folder and ports apart; the lock of
# agent_oom, since both clusters put their jobs in Slurm's one /slurm_<host> cgroup tree);
# skipped (77) where there is no writable cgroup v1 memory controller.
set -euo pipefail
export HPCMON_E2E_OWN_CLUSTER=1  # lib.sh stops it on any exit until the trap below
export HPCMON_SLURM_CGROUP=1  # lib.sh skips (77) without a writable cgroup v1 memory controller
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/spank_lib.sh"
source "$(dirname "$0")/agent_lib.sh"
source "$(dirname "$0")/head_lib.sh"
source "$(dirname "$0")/memory_alert_lib.sh"
start_memory_alert 0.7
cleanup() {
  local rc=$?
  stop_memory_alert
  stop_agent
  bash "$repo/scripts/slurm-down.sh" "$cluster_dir" >/dev/null 2>&1 || true
  exit $rc
}
trap cleanup EXIT

# check_step NAME SRUN_ARGS...: runs a step holding 150 MiB for 8 s; its alert must carry the
# step cgroup's limit.
check_step() {
  local name="$1" cgroup="" limit="" alert
  shift
  start_memory_step "$name" 150 8 "$@"
  # The step's own cgroup (Slurm: <root>/uid_<uid>/job_<id>/step_0), found once it runs.
  for _ in $(seq 200); do
    cgroup="$(find /sys/fs/cgroup/memory -maxdepth 5 -type d -path "*/job_$job/step_0" 2>/dev/null | head -1)"
    [[ -n "$cgroup" ]] && break
    sleep 0.1
  done
  [[ -n "$cgroup" ]] || fail "no memory cgroup of step $job.0"
  limit="$(cat "$cgroup/memory.limit_in_bytes")"
  [[ "$limit" == 209715200 ]] || fail "step $job.0: cgroup limit $limit, expected 200 MiB"
  alert="$(wait_memory_alert)"
  [[ "$(jget "$alert" 'd["annotations"]["limit_bytes"]')" == "$limit" ]] || fail "limit is not the cgroup's $limit: $alert"
  [[ "$(jget "$alert" 'd["annotations"]["limit_source"]')" == "cgroup v1" ]] || fail "source: $alert"
  [[ "$(jget "$alert" 'd["labels"]["step"]')" == 0 ]] || fail "step label: $alert"
  [[ "$(jget "$alert" '0.7 <= d["value"] < 1.0')" == True ]] || fail "value: $alert"
  echo "$alert" >"$work/$name.alert"
  # Slurm's request per node as the API shows the running job.
  api_memory_request >"$work/$name.request"
  wait_memory_alert_resolved
  echo "ok: $name (job $job): JobMemoryNearLimit at $(jget "$alert" 'd["value"]') of the cgroup's $limit bytes, resolved"
}

check_step alert-cgroup-mem --mem=200M
check_step alert-cgroup-per-cpu --mem-per-cpu=100M -c 2
# --mem-per-cpu x CPUs on the node is the request the API shows.
request="$(cat "$work/alert-cgroup-per-cpu.request")"
[[ "$request" == 209715200 ]] || fail "API memory request of the --mem-per-cpu=100M -c 2 job: $request, expected 209715200"
echo "PASS: JobMemoryNearLimit against the step cgroup's limit (--mem and --mem-per-cpu)"
