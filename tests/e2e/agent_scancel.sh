#!/usr/bin/env bash
# scancel of a running step: the tasks end by SIGTERM, and the node partial is flagged
# partial with the reason "cancelled"; its process series cover the step up to the cancel.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/spank_lib.sh"
source "$(dirname "$0")/agent_lib.sh"
start_agent
use_agent_plugin

timeout 60 srun -n1 -J agent-cancel sleep 120 >"$work/stdout" 2>"$work/stderr" &
srun_pid=$!
job=""
for _ in $(seq 100); do
  job="$(job_id_named agent-cancel)"
  [[ -n "$job" && "$(job_field "$job" JobState)" == RUNNING ]] && break
  sleep 0.1
done
[[ -n "$job" ]] || fail "job agent-cancel did not start"
sleep 2
cancelled_at="$(date +%s%N)"
scancel "$job"
wait "$srun_pid" || true
partial="$(wait_partial "$job" 0)"
export_json "$partial" >"$work/partial.json"
"$python" - "$work/partial.json" "$cancelled_at" <<'PY'
import json, sys
rec = json.load(open(sys.argv[1]))
cancelled_at = int(sys.argv[2])
j = rec["job"]
got = (j["partial"], j["partial_reason"])
assert got == (True, "cancelled"), f"FAIL: partial, reason = {got}, expected (True, 'cancelled')"
s = [s for s in rec["series"] if (s["owner_kind"], s["owner"], s["metric"]) == ("task", "0", "processes")]
assert s, "FAIL: no task series"
alive = [t for t, v in zip(s[0]["t_ns"], s[0]["values"]) if v]
assert alive, "FAIL: the task was never seen alive"
span = (alive[-1] - j["start_ns"]) / (cancelled_at - j["start_ns"])
assert span >= 0.8, f"FAIL: the task series covers {span:.0%} of the time up to the cancel"
print(f"ok: cancelled step recorded, series cover {span:.0%} up to the cancel")
PY
echo "ok: agent scancel"
