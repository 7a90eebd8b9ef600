#!/usr/bin/env bash
# A job of an unprivileged user: the agent (root) writes the node partial as that user into
# the folder the plugin made (owner the user, setgid, 2750); the file belongs to the user.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/spank_lib.sh"
source "$(dirname "$0")/agent_lib.sh"
ensure_test_user
chmod 755 "$work"
start_agent
use_agent_plugin

timeout 60 srun --uid=hpcmontest --chdir=/tmp -n1 -J agent-user /bin/true >"$work/stdout" 2>"$work/stderr" ||
  { cat "$work/stderr"; fail "srun as hpcmontest failed"; }
job="$(job_id_named agent-user)"
partial="$(wait_partial "$job" 0)"
[[ "$partial" == "$records/hpcmontest/"????/??/??/* ]] || fail "partial at $partial"
[[ "$(stat -c '%U %a' "$partial")" == "hpcmontest 640" ]] || fail "partial is $(stat -c '%U %a' "$partial")"
[[ "$(stat -c '%U %a' "$records/hpcmontest")" == "hpcmontest 2750" ]] || fail "folder is $(stat -c '%U %a' "$records/hpcmontest")"
grep -q "error" "$agent_log" && { cat "$agent_log"; fail "agent logged an error"; }
echo "ok: agent user job"
