#!/usr/bin/env bash
# scancel of a running MPI job (srun --mpi=pmix -n2) whose rank 0 notes its cumulative send
# count every second: the ranks die without MPI_Finalize, rank 0 writes no record, and the
# agent puts the ranks' live tables into the node partial. Its MPI_Send count of rank 0 lies
# between the last value the job noted and the next (one more second of sends), and rank 0's
# series cover at least 80 % of the time from MPI_Init to the cancel.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/spank_lib.sh"
source "$(dirname "$0")/agent_lib.sh"
counter="${HPCMON_SEND_COUNTER:?HPCMON_SEND_COUNTER must name the send_counter program}"
start_agent
use_agent_plugin interval=0.2

timeout 60 srun --mpi=pmix -n2 -J agent-mpi-cancel "$counter" "$work/progress" >"$work/stdout" 2>"$work/stderr" &
srun_pid=$!
for _ in $(seq 200); do
  [[ "$(wc -l 2>/dev/null <"$work/progress" || echo 0)" -ge 4 ]] && break
  sleep 0.05
done
[[ "$(wc -l 2>/dev/null <"$work/progress" || echo 0)" -ge 4 ]] || { cat "$work/stderr" >&2; fail "the job noted no progress"; }
job="$(job_id_named agent-mpi-cancel)"
sleep 0.5  # between two notes
cancelled_at="$(date +%s%N)"
scancel "$job"
wait "$srun_pid" || true
partial="$(wait_partial "$job" 0)"
cp "$work/progress" "$work/progress.at-cancel"
export_json "$partial" >"$work/partial.json"
"$python" - "$work/partial.json" "$work/progress.at-cancel" "$cancelled_at" <<'PY'
import json, sys
rec = json.load(open(sys.argv[1]))
noted = [int(l.split()[1]) for l in open(sys.argv[2]) if l.startswith("sent ")]
cancelled_at = int(sys.argv[3])
j = rec["job"]
assert (j["partial"], j["partial_reason"]) == (True, "cancelled"), f"FAIL: partial, reason = {j['partial']}, {j['partial_reason']!r}"
sends = [m for m in rec["mpi"] if m["rank"] == 0 and m["function"] == "MPI_Send"]
assert sends, f"FAIL: no MPI_Send row of rank 0 in the partial; rows: {[(m['rank'], m['function']) for m in rec['mpi']]}"
count = sends[0]["calls"]
per_second = max(b - a for a, b in zip(noted, noted[1:]))
last = noted[-1]
assert last <= count <= last + per_second * 1.5, \
    f"FAIL: rank 0's MPI_Send count {count} not between the last noted {last} and the next (+{per_second}/s)"
calls = [s for s in rec["series"] if (s["owner_kind"], s["owner"], s["metric"]) == ("rank", "0", "mpi_calls")]
assert calls, "FAIL: no mpi_calls series of rank 0"
t = calls[0]["t_ns"]
start = j["start_ns"]
# The sampler's points (the last point may be the totals at the step's end, added by the agent).
cover = (t[-2] - start) / (cancelled_at - start) if len(t) > 1 else 0
assert cover >= 0.8, f"FAIL: rank 0's series cover {cover:.0%} of the time up to the cancel"
assert all(a <= b for a, b in zip(calls[0]["values"], calls[0]["values"][1:])), "FAIL: mpi_calls series not cumulative"
print(f"ok: killed ranks in the partial: MPI_Send {count} (last noted {last}, +{per_second}/s), series cover {cover:.0%}")
PY
echo "ok: agent mpi scancel"
