#!/usr/bin/env bash
# Two mpirun calls inside one batch script, with the preload set for the whole batch step
# (so it is also loaded into bash, mpirun and every tool the script runs): two distinct
# records of step "batch", runs 0 and 1, and the script's output is unchanged.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$@"

cat >"$work/job.sh" <<SH
#!/bin/bash
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,vader
export LD_PRELOAD="$preload" HPCMON_HPC__RECORD_DIR="$records"
mpirun -np 2 "$heat1d" 100
mpirun -np 2 "$heat1d" 300
echo "script done: \$(echo hpcmon | grep -c mon)"
SH
job="$(sbatch --parsable -n2 -J e2e-batch -o "$work/out.txt" "$work/job.sh")"
for _ in $(seq 600); do
  state="$(job_field "$job" JobState)"
  [[ "$state" == PENDING || "$state" == RUNNING || "$state" == COMPLETING ]] || break
  sleep 0.1
done
[[ "$state" == COMPLETED ]] || { cat "$work/out.txt"; fail "job $job ended $state"; }
grep -q "heat1d: 2 ranks, 100 steps" "$work/out.txt" || fail "first run output missing"
grep -q "heat1d: 2 ranks, 300 steps" "$work/out.txt" || fail "second run output missing"
grep -qx "script done: 1" "$work/out.txt" || fail "tools in the batch script changed under the preload"

for run in 0 1; do
  record="$(find "$records" -name "hpcmontest.$job.batch.r0.$run.h5")"
  [[ -n "$record" ]] || fail "no record for run $run of job $job: $(find "$records" -name '*.h5')"
  export_json "$record" >"$work/run$run.json"
done
"$python" - "$work/run0.json" "$work/run1.json" "$job" <<'PY'
import json, sys
for path, run, steps in ((sys.argv[1], 0, 100), (sys.argv[2], 1, 300)):
    rec = json.load(open(path))
    j = rec["job"]
    assert (j["job"], j["step"], j["run"], j["name"]) == (sys.argv[3], "batch", run, "e2e-batch"), j
    calls = {(m["rank"], m["function"]): m["calls"] for m in rec["mpi"]}
    assert calls[(0, "MPI_Sendrecv")] == 2 * steps, (run, calls[(0, "MPI_Sendrecv")])
    assert calls[(1, "MPI_Sendrecv")] == 2 * steps, (run, calls[(1, "MPI_Sendrecv")])
print("ok: two runs of one batch step")
PY
