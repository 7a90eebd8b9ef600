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
[[ -w /sys/fs/cgroup/memory/cgroup.procs || -w /sys/fs/cgroup/memory/tasks ]] ||
  { echo "SKIP: no writable cgroup v1 memory controller"; exit 77; }
export HPCMON_SLURM_CGROUP=1
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/spank_lib.sh"
source "$(dirname "$0")/agent_lib.sh"
source "$(dirname "$0")/head_lib.sh"
umask 077
printf 'agent-token-for-cgroup-alert\n' >"$work/agent.token"
printf 'human-token-for-cgroup-alert\n' >"$work/api.token"
umask 022
start_head "alerting:
  evaluation_interval_s: 0.2
  job_memory_fraction: 0.7
  disabled_builtins: [NodeDown, NodeCpuHigh, NodeMemoryHigh, NodeDiskFull, JobIdle, RecordMissing]"
start_agent "  head_url: http://127.0.0.1:$head_agent_port
  token_file: $work/agent.token
  push_interval_s: 0.3"
use_agent_plugin
srun_pid=""
cleanup() {
  local rc=$?
  [[ -n "$srun_pid" ]] && kill "$srun_pid" 2>/dev/null || true
  kill "$head_pid" 2>/dev/null || true
  wait "$head_pid" 2>/dev/null || true
  stop_agent
  bash "$repo/scripts/slurm-down.sh" "$cluster_dir" >/dev/null 2>&1 || true
  exit $rc
}
trap cleanup EXIT

# check_step NAME SRUN_ARGS...: runs a step holding 150 MiB for 8 s; its alert must carry the
# step cgroup's limit; prints the job id.
check_step() {
  local name="$1" job="" cgroup="" limit="" alerts alert firing resolved
  shift
  timeout 90 srun -n1 "$@" -J "$name" /usr/bin/python3 -c \
    'import time; b = b"\x01" * (150 << 20); time.sleep(8)' >"$work/$name.out" 2>&1 &
  srun_pid=$!
  for _ in $(seq 100); do
    job="$(squeue -h -n "$name" -t RUNNING -o %i | sort -n | tail -1)"
    [[ -n "$job" ]] && break
    sleep 0.1
  done
  [[ -n "$job" ]] || fail "job $name not running"
  # The step's own cgroup (Slurm: <root>/uid_<uid>/job_<id>/step_0), found while it runs.
  for _ in $(seq 100); do
    cgroup="$(find /sys/fs/cgroup/memory -maxdepth 5 -type d -path "*/job_$job/step_0" 2>/dev/null | head -1)"
    [[ -n "$cgroup" ]] && break
    sleep 0.1
  done
  [[ -n "$cgroup" ]] || fail "no memory cgroup of step $job.0"
  limit="$(cat "$cgroup/memory.limit_in_bytes")"
  [[ "$limit" == 209715200 ]] || fail "step $job.0: cgroup limit $limit, expected 200 MiB"
  for _ in $(seq 150); do
    alerts="$(api "/api/v1/alerts?alertname=JobMemoryNearLimit&state=firing&job=$job")"
    [[ "$(jget "$alerts" 'd["data"]["total"]')" == 1 ]] && break
    kill -0 "$srun_pid" 2>/dev/null || break
    sleep 0.1
  done
  [[ "$(jget "$alerts" 'd["data"]["total"]')" == 1 ]] || {
    cat "$work/head.log" "$agent_log" "$work/$name.out" >&2
    fail "no firing JobMemoryNearLimit for job $job: $alerts"
  }
  alert="$(jget "$alerts" 'json.dumps(d["data"]["alerts"][0])')"
  [[ "$(jget "$alert" 'd["annotations"]["limit_bytes"]')" == "$limit" ]] || fail "limit is not the cgroup's $limit: $alert"
  [[ "$(jget "$alert" 'd["annotations"]["limit_source"]')" == "cgroup v1" ]] || fail "source: $alert"
  [[ "$(jget "$alert" 'd["labels"]["step"]')" == 0 ]] || fail "step label: $alert"
  [[ "$(jget "$alert" '0.7 <= d["value"] < 1.0')" == True ]] || fail "value: $alert"
  echo "$alert" >"$work/$name.alert"
  # The job as the API shows it while it runs: Slurm's request per node.
  api "/api/v1/jobs/$job" >"$work/$name.job.json"
  wait "$srun_pid" || { cat "$work/$name.out" >&2; fail "srun $name failed"; }
  srun_pid=""
  for _ in $(seq 150); do
    firing="$(api "/api/v1/alerts?alertname=JobMemoryNearLimit&state=firing&job=$job")"
    [[ "$(jget "$firing" 'd["data"]["total"]')" == 0 ]] && break
    sleep 0.2
  done
  [[ "$(jget "$firing" 'd["data"]["total"]')" == 0 ]] || fail "still firing after job $job ended: $firing"
  resolved="$(api "/api/v1/alerts?alertname=JobMemoryNearLimit&state=resolved&job=$job")"
  [[ "$(jget "$resolved" 'd["data"]["total"]')" == 1 ]] || fail "not resolved after job $job ended: $resolved"
  echo "ok: $name (job $job): JobMemoryNearLimit at $(jget "$alert" 'd["value"]') of the cgroup's $limit bytes, resolved"
}

check_step alert-cgroup-mem --mem=200M
check_step alert-cgroup-per-cpu --mem-per-cpu=100M -c 2
# --mem-per-cpu x CPUs on the node is the request the API shows.
request="$("$python" -c '
import json, sys
d = json.load(open(sys.argv[1]))["data"]
job = d.get("job", d) if isinstance(d.get("job"), dict) else d
print(int(job.get("mem_per_node_bytes") or job.get("slurm", {}).get("mem_per_node_bytes") or 0))' "$work/alert-cgroup-per-cpu.job.json")"
[[ "$request" == 209715200 ]] || fail "API memory request of the --mem-per-cpu=100M -c 2 job: $request, expected 209715200 ($(cat "$work/alert-cgroup-per-cpu.job.json"))"
echo "PASS: JobMemoryNearLimit against the step cgroup's limit (--mem and --mem-per-cpu)"
