#!/usr/bin/env bash
# A task killed by SIGKILL (as the OOM killer or a crash would): the node partial is flagged
# partial with the reason "killed by signal 9" and the step's exit status 137.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/spank_lib.sh"
source "$(dirname "$0")/agent_lib.sh"
start_agent
use_agent_plugin

rc=0
timeout 60 srun -n1 -J agent-killed bash -c 'sleep 0.5; kill -9 $$' >"$work/stdout" 2>"$work/stderr" || rc=$?
[[ $rc -ne 0 ]] || fail "srun should fail"
job="$(job_id_named agent-killed)"
partial="$(wait_partial "$job" 0)"
export_json "$partial" >"$work/partial.json"
"$python" - "$work/partial.json" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))["job"]
got = (j["partial"], j["partial_reason"], j["exit_status"])
want = (True, "killed by signal 9", 137)
assert got == want, f"FAIL: partial, reason, exit = {got}, expected {want}"
PY
echo "ok: agent killed task"
