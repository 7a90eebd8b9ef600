# Shared part of the JobMemoryNearLimit tests on a real Slurm (e2e/alert_cgroup_memory.sh and
# hpcmond/alerts/tests/slurm_job_memory.sh), sourced after lib.sh, spank_lib.sh, agent_lib.sh
# and head_lib.sh: a head whose only rule is JobMemoryNearLimit, a node agent pushing to it
# with the plugin pointed at the agent, a step holding memory, and its alert firing while the
# step runs and resolved once it has ended.

# start_memory_alert FRACTION: head (job_memory_fraction FRACTION), agent and plugin.
start_memory_alert() {
  write_tokens memory-alert
  start_head "alerting:
  evaluation_interval_s: 0.2
  job_memory_fraction: $1
  disabled_builtins: [NodeDown, NodeCpuHigh, NodeMemoryHigh, NodeDiskFull, JobIdle, RecordMissing]"
  start_pushing_agent "  push_interval_s: 0.3"
  use_agent_plugin
  srun_pid=""
}

# stop_memory_alert: the step and the head, for the test's exit trap (the agent is agent_lib's).
stop_memory_alert() {
  [[ -n "$srun_pid" ]] && kill "$srun_pid" 2>/dev/null || true
  kill "$head_pid" 2>/dev/null || true
  wait "$head_pid" 2>/dev/null || true
}

# start_memory_step NAME MIB SECONDS SRUN_ARGS...: a step of one task holding MIB MiB (written
# byte by byte, so every page is touched) for SECONDS; sets srun_pid, step_out and job (only
# a live job: an earlier run's job of the same name may still be in slurmctld).
start_memory_step() {
  local name="$1" mib="$2" seconds="$3"
  shift 3
  step_out="$work/$name.out"
  timeout 90 srun -n1 "$@" -J "$name" /usr/bin/python3 -c \
    "import time; b = b'\\x01' * ($mib << 20); time.sleep($seconds)" >"$step_out" 2>&1 &
  srun_pid=$!
  job=""
  for _ in $(seq 100); do
    job="$(squeue -h -n "$name" -t PENDING,RUNNING -o %i | sort -n | tail -1)"
    [[ -n "$job" ]] && break
    sleep 0.1
  done
  [[ -n "$job" ]] || fail "job $name not in slurmctld"
}

# wait_memory_alert: the firing JobMemoryNearLimit of $job (one), printed as JSON.
wait_memory_alert() {
  local alerts
  alerts="$(wait_alerts "alertname=JobMemoryNearLimit&state=firing&job=$job" 1 200 "$srun_pid")" || {
    cat "$work/head.log" "$agent_log" "$step_out" >&2
    api "/api/v1/metrics/history?metric=job.rss_bytes" >&2 || true
    fail "no firing JobMemoryNearLimit for job $job: $alerts"
  }
  jget "$alerts" 'json.dumps(d["data"]["alerts"][0])'
}

# wait_memory_alert_resolved: once the step has ended, its alert stops firing and is resolved.
wait_memory_alert_resolved() {
  local firing resolved
  wait "$srun_pid" || { cat "$step_out" >&2; fail "srun of job $job failed"; }
  srun_pid=""
  firing="$(wait_alerts "alertname=JobMemoryNearLimit&state=firing&job=$job" 0 300)" ||
    fail "still firing after job $job ended: $firing"
  resolved="$(api "/api/v1/alerts?alertname=JobMemoryNearLimit&state=resolved&job=$job")"
  [[ "$(jget "$resolved" 'd["data"]["total"]')" == 1 ]] || fail "not resolved after job $job ended: $resolved"
}

# api_memory_request: Slurm's memory request per node of the running $job as the API shows it.
api_memory_request() {
  "$python" -c '
import json, sys
d = json.loads(sys.argv[1])["data"]
job = d.get("job", d) if isinstance(d.get("job"), dict) else d
print(int(job.get("mem_per_node_bytes") or job.get("slurm", {}).get("mem_per_node_bytes") or 0))' "$(api "/api/v1/jobs/$job")"
}
