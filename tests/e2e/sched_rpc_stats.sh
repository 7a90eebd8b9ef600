#!/usr/bin/env bash
# The scheduler's RPC statistics in hpcmond (head mode) on the private Slurm: 20 sbatch calls
# raise REQUEST_SUBMIT_BATCH_JOB by exactly 20 in GET /api/v1/scheduler and on /metrics;
# `sdiag -r` while the daemon reads gives a reset and no negative value anywhere in the
# scheduler's history, and the /metrics counter does not fall; a user flooding slurmctld with
# squeue fires SchedulerUserFlooding naming that user; SchedulerRpcSlow fires on the measured
# time of the daemon's own REQUEST_STATS_INFO above a 1 µs threshold; slurmdbd is reported as
# not configured.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/head_lib.sh"
flood_user=hpcmontest
id "$flood_user" >/dev/null 2>&1 || useradd -M -s /bin/bash "$flood_user" || fail "cannot create user $flood_user"
start_head "scheduler:
  interval_s: 1
  user_share_max: 0.5
  user_rate_min: 5
  rpc_latency_max_s: 0.000001
  alert_for_s: 0
alerting:
  evaluation_interval_s: 0.5
  disabled_builtins: [NodeDown, NodeCpuHigh, NodeMemoryHigh, NodeDiskFull, JobIdle, JobMemoryNearLimit, RecordMissing]"
t0="$(date +%s)"

submit_api() { sched_rpc_count slurmctld REQUEST_SUBMIT_BATCH_JOB; }
submit_metric() { sched_rpc_metric slurmctld REQUEST_SUBMIT_BATCH_JOB; }

wait_sched_reads 2
[[ "$(sched 'd["data"]["slurmdbd_status"].startswith("not configured")')" == True ]] \
  || fail "slurmdbd status on a cluster without accounting: $(api /api/v1/scheduler)"
base_api="$(submit_api)" base_metric="$(submit_metric)"
jobs=()
for i in $(seq 20); do jobs+=("$(sbatch --parsable -H -J "sched-$i" --wrap true)"); done
trap 'scancel "${jobs[@]}" 2>/dev/null || true; kill "$head_pid" 2>/dev/null || true' EXIT
wait_sched_reads 2
[[ "$(submit_api)" == $((base_api + 20)) ]] || fail "API: REQUEST_SUBMIT_BATCH_JOB $base_api -> $(submit_api), expected +20"
[[ "$(submit_metric)" == $((base_metric + 20)) ]] || fail "/metrics: REQUEST_SUBMIT_BATCH_JOB $base_metric -> $(submit_metric), expected +20"
# sdiag's own figure agrees with the API.
wait_sched_reads 1
sdiag_count="$(sdiag | sed -nE 's/^\s*REQUEST_SUBMIT_BATCH_JOB\s+\(\s*[0-9]+\)\s+count:([0-9]+).*/\1/p')"
[[ "$sdiag_count" == "$(submit_api)" ]] || fail "sdiag says $sdiag_count submits, the API $(submit_api)"
scancel "${jobs[@]}"

# A reset while the daemon reads every second: counted once, no rate below zero.
resets_before="$(sched 'd["data"]["slurmctld"]["resets"]')"
sdiag -r >/dev/null
for _ in $(seq 5); do squeue >/dev/null; done
wait_sched_reads 3
[[ "$(sched 'd["data"]["slurmctld"]["resets"]')" -ge $((resets_before + 1)) ]] || fail "no reset seen after sdiag -r: $(api /api/v1/scheduler)"
(( $(submit_metric) >= base_metric + 20 )) || fail "/metrics counter fell after the reset: $(submit_metric)"
history="$(api "/api/v1/metrics/history?metric=scheduler.&start=$t0")"
"$python" - "$history" <<'PY' || fail "scheduler history after sdiag -r"
import json, sys
d = json.loads(sys.argv[1])["data"]
series = d["series"]
rates = [s for s in series if s["metric"] == "scheduler.rpc_rate"]
assert rates, "no scheduler.rpc_rate series"
points = sum(len(s["points"]) for s in series)
bad = [(s["metric"], s["labels"], p) for s in series for p in s["points"] if min(p[1], p[2], p[3]) < 0]
assert not bad, "negative values: %s" % bad[:5]
assert any(s["labels"].get("rpc") == "REQUEST_SUBMIT_BATCH_JOB" and any(p[1] > 0 for p in s["points"]) for s in rates), \
    "no submit rate above zero"
print("scheduler history: %d series, %d points, none negative" % (len(series), points))
PY

# One user floods slurmctld with squeue: its share of the RPCs fires SchedulerUserFlooding.
runuser -u "$flood_user" -- bash -c 'end=$((SECONDS+30)); while ((SECONDS<end)); do squeue >/dev/null; done' &
flood_pid=$!
trap 'kill "$flood_pid" 2>/dev/null || true; kill "$head_pid" 2>/dev/null || true' EXIT
flooding=""
for _ in $(seq 300); do
  alerts="$(api "/api/v1/alerts?state=firing")"
  flooding="$(jget "$alerts" '[a["labels"]["user"] for a in d["data"]["alerts"] if a["alertname"] == "SchedulerUserFlooding"]')"
  [[ "$flooding" == "['$flood_user']" ]] && break
  sleep 0.1
done
kill "$flood_pid" 2>/dev/null || true
[[ "$flooding" == "['$flood_user']" ]] || fail "SchedulerUserFlooding for $flood_user not firing: $(api /api/v1/alerts)"
# Every read is one REQUEST_STATS_INFO, each slower than 1 µs in slurmctld.
slow="$(jget "$(api "/api/v1/alerts?state=firing")" '[a["labels"]["rpc"] for a in d["data"]["alerts"] if a["alertname"] == "SchedulerRpcSlow"]')"
[[ "$slow" == *"'REQUEST_STATS_INFO'"* ]] || fail "SchedulerRpcSlow not firing for REQUEST_STATS_INFO: $slow"
user_rate="$(sched "next(u['rate_per_s'] for u in d['data']['slurmctld']['users'] if u['user'] == '$flood_user')")"
echo "PASS: 20 submits counted exactly (API and /metrics), reset absorbed, $flood_user flooding at $user_rate RPC/s"
