#!/usr/bin/env bash
# The head's canonical record is the whole step: a traced and memory-profiled MPI job
# (`srun --hpcmon-trace --hpcmon-mem`, heat1d 100 steps at 2 ranks) leaves rank 0's record
# (with /trace) and the agent's node partial (with /memory); the head's merge carries both
# groups into the canonical record before its rename: /trace identical to rank 0's (every
# column, the per-rank counts; h5dump reads it), /memory identical to the partial's. The API's
# trace summary is served from the canonical record: still there after rank 0's file is gone.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/spank_lib.sh"
source "$(dirname "$0")/agent_lib.sh"
source "$(dirname "$0")/head_lib.sh"
mem_preload="${HPCMON_MEM_PRELOAD:?HPCMON_MEM_PRELOAD must name libhpcmon_mem.so}"
write_tokens trace-canonical
start_head ""
start_agent
use_agent_plugin "mem_preload=$mem_preload"
cleanup() {
  local rc=$?
  set +e  # a trap under errexit would end at "(exit $rc)" and skip the rest of the clean-up
  kill "$head_pid" 2>/dev/null || true
  wait "$head_pid" 2>/dev/null || true
  (exit $rc)
  agent_cleanup
}
trap cleanup EXIT

timeout 60 srun --mpi=pmix -n2 -J trace-canon --hpcmon-trace --hpcmon-mem "$heat1d" 100 \
  >"$work/stdout" 2>"$work/stderr" || { cat "$work/stderr"; fail "srun failed"; }
job="$(job_id_named trace-canon)"
partial="$(wait_partial "$job" 0)"
rank0="$(find "$records" -name "hpcmontest.$job.0.r0.0.h5")"
[[ -n "$rank0" ]] || fail "no rank-0 record of job $job"
canonical="$work/canonical-records/${rank0#"$records"/}"
for _ in $(seq 200); do
  [[ -f "$canonical" ]] && "$python" -c 'import h5py,sys; f=h5py.File(sys.argv[1],"r"); sys.exit(0 if "trace" in f and "memory" in f and f["nodes"].shape[0] == 1 else 1)' "$canonical" 2>/dev/null && break
  sleep 0.1
done
[[ -f "$canonical" ]] || { cat "$work/head.log"; fail "no canonical record at $canonical"; }

"$python" - "$canonical" "$rank0" "$partial" <<'PY' || fail "canonical record's /trace and /memory"
import sys, h5py, numpy
canonical, rank0, partial = (h5py.File(p, "r") for p in sys.argv[1:4])
assert canonical.attrs["partial"] == 0, canonical.attrs["partial_reason"]
t, r = canonical["trace"], rank0["trace"]
assert int(t.attrs["events"]) == 426 and int(t.attrs["events"]) == int(r.attrs["events"]), int(t.attrs["events"])
for column in r["events"]:
    assert numpy.array_equal(t["events"][column][()], r["events"][column][()]), column
assert numpy.array_equal(t["ranks"][()], r["ranks"][()])
assert list(t["function_names"][()]) == list(r["function_names"][()])
assert dict(t.attrs) == dict(r.attrs), (dict(t.attrs), dict(r.attrs))
m, p = canonical["memory"], partial["memory"]
assert sorted(m) == sorted(p) and len(m) == 2, (sorted(m), sorted(p))  # one profile per rank
for name in p:
    assert dict(m[name].attrs) == dict(p[name].attrs), name
    assert numpy.array_equal(m[name]["samples"][()], p[name]["samples"][()]), name
print("ok: /trace as rank 0's, /memory as the partial's")
PY
h5dump -A -d /trace/ranks "$canonical" | grep -q '"recorded"' || fail "h5dump does not read the canonical /trace/ranks"

summary() { api "/api/v1/jobs/$job/trace/summary" -H "Authorization: Bearer human-token-for-trace-canonical"; }
out="$(summary)"
[[ "$(jget "$out" 'd["data"]["steps"][0]["summary"]["events"]')" == 426 ]] || fail "trace summary: $out"
# Rank 0's file gone: the summary still comes from the canonical record.
mv "$rank0" "$work/rank0-away.h5"
out="$(summary)"
[[ "$(jget "$out" 'd["data"]["steps"][0]["summary"]["events"]')" == 426 ]] ||
  fail "trace summary without rank 0's file: $out"
echo "ok: canonical record carries /trace and /memory; the API's trace summary reads it"
