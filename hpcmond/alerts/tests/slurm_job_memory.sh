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
source "$e2e/memory_alert_lib.sh"
start_memory_alert 0.8
cleanup() {
  local rc=$?
  set +e  # a trap under errexit would end at "(exit $rc)" and skip the rest of the clean-up
  stop_memory_alert
  (exit $rc)
  agent_cleanup
}
trap cleanup EXIT

request=(--mem=200M) want_request=(MinMemoryNode 200M)
if [[ "${HPCMON_ALERT_MEM_PER_CPU:-0}" == 1 ]]; then request=(--mem-per-cpu=100M -c 2) want_request=(MinMemoryCPU 100M); fi
# 180 MiB held for 10 s.
start_memory_step alerts-memory 180 10 "${request[@]}"
[[ "$(job_field "$job" "${want_request[0]}")" == "${want_request[1]}" ]] || fail "job $job: $(scontrol -o show job "$job")"

alert="$(wait_memory_alert)"
[[ "$(jget "$alert" 'd["labels"]["step"]')" == 0 ]] || fail "step label: $alert"
[[ "$(jget "$alert" 'd["severity"]')" == warning ]] || fail "severity: $alert"
# RSS over the 200 MiB request: 180 MiB of data plus the interpreter, below the request.
[[ "$(jget "$alert" '0.85 <= d["value"] < 1.0')" == True ]] || fail "value: $alert"
[[ "$(jget "$alert" 'd["annotations"]["limit_source"]')" == "slurm request" ]] || fail "limit source: $alert"
[[ "$(jget "$alert" 'd["annotations"]["limit_bytes"]')" == 209715200 ]] || fail "limit: $alert"
# The request per node as the API shows the running job.
[[ "$(api_memory_request)" == 209715200 ]] || fail "API memory request of job $job: $(api "/api/v1/jobs/$job")"

wait_memory_alert_resolved
echo "PASS: JobMemoryNearLimit fired for job $job at $(jget "$alert" 'd["value"]') of ${request[*]} and resolved"
