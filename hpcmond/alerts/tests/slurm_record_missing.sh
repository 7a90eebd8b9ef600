#!/usr/bin/env bash
# RecordMissing on a real Slurm: a batch job runs on a node whose agent pushes to the head,
# ends, and no record of it ever appears (the cluster runs without the SPANK plugin): the
# head's alert fires with the job's id once alerting.record_missing_after_s has passed.
# Usage: slurm_record_missing.sh REPO CLUSTER_DIR WORKDIR (with HPCMON_HEAD_BIN set)
set -euo pipefail
repo="$1"
source "$repo/tests/e2e/lib.sh" "$2" none none none "$3"
source "$repo/tests/e2e/head_lib.sh"
write_tokens alert-tests
start_head "alerting:
  state_file: $work/alerts.json
  evaluation_interval_s: 0.2
  record_missing_after_s: 1
  disabled_builtins: [NodeDown, NodeCpuHigh, NodeMemoryHigh, NodeDiskFull, JobIdle, JobMemoryNearLimit]"
agent_port="$(sed -nE 's/^  agent_port: ([0-9]+)$/\1/p' "$work/head.yaml")"
node="$(scontrol -o show node | sed -nE 's/^NodeName=([^ ]+) .*/\1/p' | head -1)"

# The node's agent, as the head sees it: a push every 0.3 s.
(
  seq=0
  while true; do
    seq=$((seq + 1))
    curl -s -o /dev/null -H 'Authorization: Bearer agent-token-for-alert-tests' \
      -d "{\"v\":1,\"kind\":\"samples\",\"seq\":$seq,\"agent\":{\"node\":\"$node\",\"instance\":\"e2e\",\"hostname\":\"$node\"},\"sent_ns\":1,\"samples\":{\"node\":[{\"t_ns\":1,\"load1\":0.1}],\"steps\":[]}}" \
      "http://127.0.0.1:$agent_port/api/v1/agent/push" || true
    sleep 0.3
  done
) &
pusher=$!
trap 'kill "$pusher" "$head_pid" 2>/dev/null || true; wait "$head_pid" 2>/dev/null || true' EXIT

job="$(sbatch --parsable -J alerts-e2e --wrap 'sleep 2')"
for _ in $(seq 200); do
  out="$(api /api/v1/jobs)"
  [[ "$(jget "$out" "any(j['job'] == '$job' and j['state'] == 'running' for j in d['data']['jobs'])")" == True ]] && break
  sleep 0.1
done
[[ "$(jget "$out" "any(j['job'] == '$job' for j in d['data']['jobs'])")" == True ]] || fail "job $job never running in the API: $out"
# No alert while it runs.
[[ "$(jget "$(api "/api/v1/alerts?alertname=RecordMissing&job=$job")" 'd["data"]["total"]')" == 0 ]] \
  || fail "RecordMissing before the job ended"

alerts="$(wait_alerts "alertname=RecordMissing&state=firing&job=$job" 1 300)" ||
  { cat "$work/head.log" >&2; fail "no RecordMissing for job $job: $alerts"; }
[[ "$(jget "$alerts" 'd["data"]["alerts"][0]["labels"]["step"]')" == all ]] || fail "step label: $alerts"
[[ "$(jget "$alerts" 'd["data"]["alerts"][0]["labels"]["reason"]')" == "no record of the finished Slurm job (ran on $node)" ]] \
  || fail "reason: $alerts"
[[ "$(jget "$alerts" 'd["data"]["alerts"][0]["labels"]["cluster"]')" == hpcmontest ]] || fail "cluster: $alerts"
state="$(job_field "$job" JobState)"
[[ "$state" == COMPLETED ]] || fail "job $job is $state, expected COMPLETED"
echo "PASS: RecordMissing fired for finished job $job on $node"
