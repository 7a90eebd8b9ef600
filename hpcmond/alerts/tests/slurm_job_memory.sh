#!/usr/bin/env bash
# JobMemoryNearLimit from real input: a step started with `srun --mem=200M` (or, with
# HPCMON_ALERT_MEM_PER_CPU=1, `srun --mem-per-cpu=100M -c 2`: 2 x 100M per node) touches
# 180 MiB and sleeps; the node agent (fed by the SPANK plugin) pushes the step's RSS to a real
# head, whose Slurm collector supplies the requested memory as the limit (the agent finds no
# cgroup limit on a cluster without task/cgroup): annotations limit_source "slurm request" and
# limit_bytes 209715200. The alert fires for the job, then resolves once the step has ended.
# Usage: slurm_job_memory.sh CLUSTER_DIR PRELOAD HPCMON HEAT1D WORKDIR (with HPCMON_HEAD_BIN,
# HPCMON_AGENT_BIN, HPCMON_SPANK_PLUGIN set)
set -euo pipefail
e2e="$(dirname "$0")/../../../tests/e2e"
source "$e2e/lib.sh" "$@"
source "$e2e/spank_lib.sh"
source "$e2e/agent_lib.sh"
source "$e2e/head_lib.sh"
umask 077
printf 'agent-token-for-memory-alert\n' >"$work/agent.token"
printf 'human-token-for-memory-alert\n' >"$work/api.token"
umask 022
start_head "alerting:
  state_file: $work/alerts.json
  evaluation_interval_s: 0.2
  job_memory_fraction: 0.8
  disabled_builtins: [NodeDown, NodeCpuHigh, NodeMemoryHigh, NodeDiskFull, JobIdle, RecordMissing]"
# head_lib.sh gives the daemon a history folder of its own under $work.
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
  (exit $rc)
  agent_cleanup
}
trap cleanup EXIT

request=(--mem=200M) want_request=(MinMemoryNode 200M)
if [[ "${HPCMON_ALERT_MEM_PER_CPU:-0}" == 1 ]]; then request=(--mem-per-cpu=100M -c 2) want_request=(MinMemoryCPU 100M); fi
# 180 MiB written byte by byte (bytes * n fills every page), held for 10 s.
timeout 90 srun -n1 "${request[@]}" -J alerts-memory /usr/bin/python3 -c \
  'import time; b = b"\x01" * (180 << 20); time.sleep(10)' >"$work/srun.out" 2>&1 &
srun_pid=$!
job=""
for _ in $(seq 100); do
  # Only a live job: an earlier run's job of the same name may still be in slurmctld.
  job="$(squeue -h -n alerts-memory -t PENDING,RUNNING -o %i | sort -n | tail -1)"
  [[ -n "$job" ]] && break
  sleep 0.1
done
[[ -n "$job" ]] || fail "job alerts-memory not in slurmctld"
[[ "$(job_field "$job" "${want_request[0]}")" == "${want_request[1]}" ]] || fail "job $job: $(scontrol -o show job "$job")"

for _ in $(seq 200); do
  alerts="$(api "/api/v1/alerts?alertname=JobMemoryNearLimit&state=firing&job=$job")"
  [[ "$(jget "$alerts" 'd["data"]["total"]')" == 1 ]] && break
  kill -0 "$srun_pid" 2>/dev/null || break
  sleep 0.1
done
[[ "$(jget "$alerts" 'd["data"]["total"]')" == 1 ]] || {
  cat "$work/head.log" "$agent_log" "$work/srun.out" >&2
  api "/api/v1/metrics/history?metric=job.rss_bytes" >&2 || true
  fail "no firing JobMemoryNearLimit for job $job: $alerts"
}
alert="$(jget "$alerts" 'json.dumps(d["data"]["alerts"][0])')"
[[ "$(jget "$alert" 'd["labels"]["step"]')" == 0 ]] || fail "step label: $alert"
[[ "$(jget "$alert" 'd["severity"]')" == warning ]] || fail "severity: $alert"
# RSS over the 200 MiB request: 180 MiB of data plus the interpreter, below the request.
[[ "$(jget "$alert" '0.85 <= d["value"] < 1.0')" == True ]] || fail "value: $alert"
[[ "$(jget "$alert" 'd["annotations"]["limit_source"]')" == "slurm request" ]] || fail "limit source: $alert"
[[ "$(jget "$alert" 'd["annotations"]["limit_bytes"]')" == 209715200 ]] || fail "limit: $alert"
# The request per node as the API shows the running job.
job_json="$(api "/api/v1/jobs/$job")"
[[ "$(jget "$job_json" 'int((lambda j: j.get("mem_per_node_bytes") or j.get("slurm", {}).get("mem_per_node_bytes") or 0)(d["data"].get("job", d["data"]) if isinstance(d["data"].get("job"), dict) else d["data"]))')" == 209715200 ]] ||
  fail "API memory request of job $job: $job_json"

wait "$srun_pid" || { cat "$work/srun.out" >&2; fail "srun failed"; }
srun_pid=""
for _ in $(seq 150); do
  firing="$(api "/api/v1/alerts?alertname=JobMemoryNearLimit&state=firing&job=$job")"
  [[ "$(jget "$firing" 'd["data"]["total"]')" == 0 ]] && break
  sleep 0.2
done
[[ "$(jget "$firing" 'd["data"]["total"]')" == 0 ]] || fail "still firing after the job ended: $firing"
resolved="$(api "/api/v1/alerts?alertname=JobMemoryNearLimit&state=resolved&job=$job")"
[[ "$(jget "$resolved" 'd["data"]["total"]')" == 1 ]] || fail "not resolved after the job ended: $resolved"
echo "PASS: JobMemoryNearLimit fired for job $job at $(jget "$alert" 'd["value"]') of ${request[*]} and resolved"
