#!/usr/bin/env bash
# `srun --mpi=pmix -n2` of an MPI program with the plugin and the agent: rank 0's record and
# the agent's node partial sit side by side, and `hpcmon merge` of the two gives one record
# with both ranks, the node row, each task's process series, and the exit status.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/spank_lib.sh"
source "$(dirname "$0")/agent_lib.sh"
start_agent
use_agent_plugin

timeout 60 srun --mpi=pmix -n2 -J agent-mpi "$heat1d" 2000 >"$work/stdout" 2>"$work/stderr" ||
  { cat "$work/stderr"; fail "srun failed"; }
job="$(job_id_named agent-mpi)"
node="$(job_field "$job" NodeList)"
partial="$(wait_partial "$job" 0)"
mpi_record="${partial%.$node.part.h5}.h5"
[[ -f "$mpi_record" ]] || fail "no rank-0 record beside the partial: $mpi_record"
"$hpcmon" merge "$work/merged.h5" "$mpi_record" "$partial" || fail "hpcmon merge failed"
"$hpcmon" validate "$work/merged.h5" >/dev/null || fail "merged record does not validate"
export_json "$work/merged.h5" >"$work/merged.json"
"$python" - "$work/merged.json" "$node" <<'PY'
import json, sys
rec, node = json.load(open(sys.argv[1])), sys.argv[2]
j = rec["job"]
got = (j["has_mpi"], j["ranks"], sorted(r["rank"] for r in rec["ranks"]), [n["node"] for n in rec["nodes"]],
       j["exit_status"], j["partial"])
want = (True, 2, [0, 1], [node], 0, False)
assert got == want, f"FAIL: merged (has_mpi, ranks, rank rows, nodes, exit, partial) = {got}, expected {want}"
owners = {(s["owner_kind"], s["owner"]) for s in rec["series"]}
for needed in (("task", "0"), ("task", "1"), ("node", node)):
    assert needed in owners, f"FAIL: no {needed} series in the merged record; have {sorted(owners)}"
print("ok: merged record of MPI part and node partial")
PY
echo "ok: agent mpi merge"
