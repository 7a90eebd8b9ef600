#!/usr/bin/env bash
# A job that outlives its time limit (--time=1: Slurm limits are whole minutes, and slurmctld
# checks them every 30 s, so the kill comes 60-90 s after the start): the tasks die by SIGTERM,
# and the agent, asking slurmctld (libslurm) why, flags the node partial "time limit" and
# records the job's limit of 60 s. SPANK itself gives the plugin no time limit.
# This is the one slow test: it runs on a cluster of its own (tests/agent.cmake gives it its
# own folder and ports), so it does not hold the shared cluster while it waits.
set -euo pipefail
export HPCMON_E2E_OWN_CLUSTER=1  # lib.sh stops it on any exit until the trap below
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/spank_lib.sh"
source "$(dirname "$0")/agent_lib.sh"
start_agent
use_agent_plugin
trap 'rc=$?; stop_agent; bash "$repo/scripts/slurm-down.sh" "$cluster_dir" >/dev/null 2>&1; exit $rc' EXIT

started_at="$(date +%s)"
rc=0
timeout 150 srun -n1 --time=1 -J agent-timelimit sleep 300 >"$work/stdout" 2>"$work/stderr" || rc=$?
[[ $rc -ne 0 ]] || fail "srun should fail when its job is killed at the time limit"
echo "srun ended after $(( $(date +%s) - started_at )) s (rc $rc): $(tr '\n' ' ' <"$work/stderr")"
job="$(job_id_named agent-timelimit)"
partial="$(wait_partial "$job" 0)"
for _ in $(seq 100); do [[ "$(job_field "$job" JobState)" == TIMEOUT ]] && break; sleep 0.1; done  # past COMPLETING
[[ "$(job_field "$job" JobState)" == TIMEOUT ]] || fail "job $job state $(job_field "$job" JobState), expected TIMEOUT"
export_json "$partial" >"$work/partial.json"
"$python" - "$work/partial.json" <<'PY'
import json, sys
rec = json.load(open(sys.argv[1]))
j = rec["job"]
got = (j["partial"], j["partial_reason"], rec["allocation"]["time_limit_s"])
want = (True, "time limit", 60)
assert got == want, f"FAIL: partial, reason, time limit = {got}, expected {want}"
PY
echo "ok: agent time limit"
