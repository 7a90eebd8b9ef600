#!/usr/bin/env bash
# Several steps of one job at once on one node (`--overlap`, started from salloc with
# --hpcmon=<events>): each step gets its own record (steps 0 and 1), both see the option given
# to salloc, and they share the job's run directory.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/spank_lib.sh"
use_plugin "$(test_args)"

cat >"$work/steps.sh" <<SH
#!/bin/bash
for s in a b; do
  srun --overlap --mpi=pmix -n1 bash -c 'echo "\$HPCMON_HPC__EVENTS \$HPCMON_RUN_DIR" >$work/env.\$SLURM_STEP_ID; exec $heat1d 200' &
done
wait
SH
timeout 60 salloc -n2 -J spank-overlap --hpcmon=perf::task-clock bash "$work/steps.sh" >"$work/out.txt" 2>&1 ||
  { cat "$work/out.txt"; fail "salloc failed"; }
job="$(job_id_named spank-overlap)"
[[ "$(grep -c 'heat1d: 1 ranks, 200 steps' "$work/out.txt")" -eq 2 ]] || fail "output: $(cat "$work/out.txt")"
for step in 0 1; do
  [[ "$(cat "$work/env.$step")" == "perf::task-clock $work/run/$job" ]] || fail "step $step saw: $(cat "$work/env.$step")"
  [[ -n "$(find "$records" -name "hpcmontest.$job.$step.r0.0.h5")" ]] || fail "no record of step $step: $(records_found "$records")"
done
[[ "$(records_found "$records" | wc -l)" -eq 2 ]] || fail "expected 2 records: $(records_found "$records")"
echo "ok: spank overlapping steps"
