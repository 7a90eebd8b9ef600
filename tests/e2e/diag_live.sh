#!/usr/bin/env bash
# Live diagnosis of a running job: the late_sender test program (diagnosis/tests/programs) runs
# under `srun --mpi=pmix -n2` with rank 1 late by PLANT_MS / 4 before each of its 4 sends; the
# node agent pushes the ranks' live MPI tables to a real head, whose live evaluation (every
# 0.5 s) finds late_sender naming rank 1 while the job runs, serves it with "live": true in
# GET /api/v1/jobs/{id}, and fires the alert rule configured on job.finding{rule=late_sender}
# — all before the job ends. After the end the canonical record's /diagnosis group, read
# with h5py, holds the same findings as the API.
# Usage: diag_live.sh CLUSTER_DIR PRELOAD HPCMON HEAT1D WORKDIR (with HPCMON_HEAD_BIN,
# HPCMON_AGENT_BIN, HPCMON_SPANK_PLUGIN and HPCMON_DIAG_LATE_SENDER set)
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/spank_lib.sh"
source "$(dirname "$0")/agent_lib.sh"
source "$(dirname "$0")/head_lib.sh"
program="${HPCMON_DIAG_LATE_SENDER:?HPCMON_DIAG_LATE_SENDER must name the late_sender program}"
umask 077
printf 'agent-token-for-live-diagnosis\n' >"$work/agent.token"
printf 'human-token-for-live-diagnosis\n' >"$work/api.token"
umask 022
start_head "diagnosis:
  live_interval_s: 0.5
alerting:
  evaluation_interval_s: 0.2
  rules:
    - {name: LateSenderLive, metric: job.finding, match: {rule: late_sender}, scope: job, op: '>=', threshold: 1, severity: warning}"
start_agent "  head_url: http://127.0.0.1:$head_agent_port
  token_file: $work/agent.token
  push_interval_s: 0.3"
use_agent_plugin interval=0.2
srun_pid=""
cleanup() {
  local rc=$?
  set +e  # a trap under errexit would end at "(exit $rc)" and skip the rest of the clean-up
  [[ -n "$srun_pid" ]] && kill "$srun_pid" 2>/dev/null || true
  stop_agent  # before the head it pushes to
  kill "$head_pid" 2>/dev/null || true
  wait "$head_pid" 2>/dev/null || true
  (exit $rc)
  agent_cleanup
}
trap cleanup EXIT

# 4 sends, each 8 s late: the first wait ends after ~8 s, the job after ~32 s.
timeout 120 srun --mpi=pmix -n2 -J diag-live --export=ALL,PLANT_RANK=1,PLANT_MS=32000 "$program" \
  >"$work/srun.out" 2>&1 &
srun_pid=$!
job=""
for _ in $(seq 100); do
  job="$(squeue -h -n diag-live -t PENDING,RUNNING -o %i | sort -n | tail -1)"
  [[ -n "$job" ]] && break
  sleep 0.1
done
[[ -n "$job" ]] || fail "job diag-live not in slurmctld"

live="" alerts=""
for _ in $(seq 600); do
  kill -0 "$srun_pid" 2>/dev/null || break
  out="$(api "/api/v1/jobs/$job")"
  live="$(jget "$out" 'json.dumps(d.get("data", {}).get("live_diagnosis"))')"
  alerts="$(api "/api/v1/alerts?alertname=LateSenderLive&state=firing&job=$job")"
  if [[ "$live" != null ]] && [[ "$(jget "$live" 'any(f["rule"] == "late_sender" for s in d["steps"] for f in s["findings"])')" == True ]] &&
     [[ "$(jget "$alerts" 'd["data"]["total"]')" == 1 ]]; then
    break
  fi
  sleep 0.1
done
# Still running: the finding and the alert came from the live tables, not from a record.
[[ "$(squeue -h -j "$job" -t RUNNING -o %i 2>/dev/null)" == "$job" ]] || {
  cat "$work/head.log" "$agent_log" "$work/srun.out" >&2
  echo "last job answer: $out" >&2
  fail "job $job ended before the live finding and the alert (live: $live; alerts: $alerts)"
}
[[ "$live" != null ]] || fail "no live_diagnosis for running job $job"
finding="$(jget "$live" 'json.dumps([f for s in d["steps"] for f in s["findings"] if f["rule"] == "late_sender"][0])')"
[[ "$(jget "$live" 'd["live"]')" == True ]] || fail "not flagged live: $live"
[[ "$(jget "$finding" 'd["ranks"]')" == "[1]" ]] || fail "late sender not rank 1: $finding"
[[ "$(jget "$alerts" 'd["data"]["total"]')" == 1 ]] || fail "LateSenderLive not firing for job $job: $alerts"
alert="$(jget "$alerts" 'json.dumps(d["data"]["alerts"][0])')"
[[ "$(jget "$alert" 'd["labels"]["rule"]')" == late_sender ]] || fail "alert labels: $alert"
[[ "$(jget "$alert" 'd["labels"]["step"]')" == 0 ]] || fail "alert step: $alert"
[[ ! -e "$(find "$records" -name "hpcmontest.$job.0.r0.0.h5" | head -1)" ]] || fail "a record existed already"
echo "ok: live late_sender on rank 1 of running job $job, LateSenderLive firing"

# After the end: the merged canonical record stores the findings the API serves.
wait "$srun_pid" || { cat "$work/srun.out" >&2; fail "srun failed"; }
srun_pid=""
for _ in $(seq 300); do
  out="$(api "/api/v1/jobs/$job.0")"
  [[ "$(jget "$out" 'd.get("data", {}).get("steps", [{}])[0].get("diagnosis", {}).get("stored")')" == True ]] && break
  sleep 0.1
done
[[ "$(jget "$out" 'd["data"]["steps"][0]["diagnosis"]["stored"]')" == True ]] || fail "no stored diagnosis: $out"
canonical="$(find "$work/canonical-records" -name "hpcmontest.$job.0.r0.0.h5" | head -1)"
[[ -n "$canonical" ]] || fail "no canonical record of $job.0"
"$python" - "$canonical" "$out" <<'PY' || fail "stored findings differ from the API's"
import json, sys, h5py
f = h5py.File(sys.argv[1], "r")
api = json.loads(sys.argv[2])["data"]["steps"][0]["diagnosis"]
rows = f["diagnosis/findings"][:]
stored = [(r["rule"].decode(), r["ranks"].decode(), round(float(r["quantity"]), 9)) for r in rows]
def ranges(ranks):  # store::format_rank_ranges: "0-2, 5"
    out, i = [], 0
    while i < len(ranks):
        j = i
        while j + 1 < len(ranks) and ranks[j + 1] == ranks[j] + 1: j += 1
        out.append(str(ranks[i]) if i == j else f"{ranks[i]}-{ranks[j]}")
        i = j + 1
    return ", ".join(out)
served = [(x["rule"], ranges(x["ranks"]), round(float(x["quantity"]), 9)) for x in api["findings"]]
assert stored == served, f"file {stored} != API {served}"
assert ("late_sender", "1") in [(r, k) for r, k, _ in stored], stored
whole = json.loads(f["diagnosis/analysis_json"][0])
assert whole["findings"] == api["findings"], "analysis_json findings differ"
print("ok: /diagnosis findings equal the API's:", stored)
PY
echo "ok: diag live"
