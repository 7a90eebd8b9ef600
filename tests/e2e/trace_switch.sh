#!/usr/bin/env bash
# MPI tracing switched per job through the SPANK plugin (hpc.trace, hpc.trace_events;
# docs/tracing.md). A known workload, heat1d 100 steps at 2 ranks, makes per rank exactly 213
# traced calls: MPI_Comm_rank, MPI_Comm_size, 200 MPI_Sendrecv, 10 MPI_Allreduce, 1 MPI_Reduce.
#   srun --hpcmon-trace        rank 0's record has /trace with those 426 events, none dropped
#   srun --hpcmon-trace=50     50 events kept per rank, 163 dropped per rank (counted exactly)
#   srun                       no /trace (the site default trace=off)
#   sbatch --hpcmon-trace      carried to the batch step's mpirun: /trace with the 426 events
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/spank_lib.sh"
use_plugin "$(test_args)"

# check_trace RECORD EVENTS_PER_RANK DROPPED_PER_RANK ("none": the record has no /trace)
check_trace() {
  "$python" - "$@" <<'PY' || fail "trace of $1"
import collections, sys, h5py
path, kept, dropped = sys.argv[1], sys.argv[2], sys.argv[3]
with h5py.File(path, "r") as f:
    if kept == "none":
        assert "trace" not in f, f"unexpected /trace in {path}"
        sys.exit(0)
    t = f["trace"]
    kept, dropped = int(kept), int(dropped)
    assert int(t.attrs["events"]) == 2 * kept, (int(t.attrs["events"]), 2 * kept)
    assert int(t.attrs["dropped"]) == 2 * dropped, int(t.attrs["dropped"])
    rows = {int(r["rank"]): (int(r["recorded"]), int(r["dropped"])) for r in t["ranks"][()]}
    assert rows == {0: (kept, dropped), 1: (kept, dropped)}, rows
    names = [n.decode() if isinstance(n, bytes) else n for n in t["function_names"][()]]
    ranks = t["events/rank"][()]
    functions = t["events/function"][()]
    assert len(ranks) == 2 * kept
    if dropped == 0:
        for rank in (0, 1):
            calls = collections.Counter(names[fn] for r, fn in zip(ranks, functions) if r == rank)
            want = {"MPI_Comm_rank": 1, "MPI_Comm_size": 1, "MPI_Sendrecv": 200, "MPI_Allreduce": 10, "MPI_Reduce": 1}
            assert calls == want, (rank, dict(calls))
PY
}

# run_heat NAME SRUN_OPTION...: heat1d 100 steps at 2 ranks; prints rank 0's record.
run_heat() {
  local name="$1"
  shift
  timeout 60 srun --mpi=pmix -n2 -J "$name" "$@" "$heat1d" 100 >"$work/$name.out" 2>"$work/$name.err" ||
    { cat "$work/$name.err"; fail "srun $* failed"; }
  local job record
  job="$(job_id_named "$name")"
  record="$(find "$records" -name "hpcmontest.$job.0.r0.0.h5")"
  [[ -n "$record" ]] || fail "no record of job $job: $(records_found "$records")"
  echo "$record"
}

check_trace "$(run_heat trace-on --hpcmon-trace)" 213 0
check_trace "$(run_heat trace-bounded --hpcmon-trace=50)" 50 163
check_trace "$(run_heat trace-off)" none 0

cat >"$work/job.sh" <<SH
#!/bin/bash
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,vader
mpirun -np 2 "$heat1d" 100
SH
job="$(sbatch --parsable --hpcmon-trace -n2 -J trace-batch -o "$work/batch.txt" "$work/job.sh")"
state="$(wait_job "$job")"
[[ "$state" == COMPLETED ]] || { cat "$work/batch.txt"; fail "job $job ended $state"; }
record="$(find "$records" -name "hpcmontest.$job.batch.r0.0.h5")"
[[ -n "$record" ]] || fail "no record of batch job $job: $(records_found "$records")"
check_trace "$record" 213 0
echo "ok: --hpcmon-trace on, bounded, off, and through sbatch"
