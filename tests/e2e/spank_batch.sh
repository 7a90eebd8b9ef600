#!/usr/bin/env bash
# A monitored batch job: the batch step's LD_PRELOAD is the preload then the user's own entry,
# a step started inside it inherits that and still has the preload once (trap G20), and two
# mpirun calls give two distinct records (runs 0 and 1 of step batch). `sbatch --hpcmon=off`
# is carried to the steps inside the job: no preload, no record.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/spank_lib.sh"
use_plugin "$(test_args)"
userlib="$(gcc -print-file-name=libm.so.6)"  # a harmless library of the user's own
[[ -f "$userlib" ]] || fail "no libm.so.6 to preload"

cat >"$work/job.sh" <<SH
#!/bin/bash
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,vader
echo "batch LD=[\$LD_PRELOAD]"
srun -n1 bash -c 'echo "step LD=[\$LD_PRELOAD] maps=\$(grep -q libhpcmon_mpi /proc/self/maps && echo yes || echo no)"'
mpirun -np 2 "$heat1d" 100
mpirun -np 2 "$heat1d" 300
SH
job="$(sbatch --parsable -n2 -J spank-batch -o "$work/on.txt" --export="ALL,LD_PRELOAD=$userlib" "$work/job.sh")"
state="$(wait_job "$job")"
[[ "$state" == COMPLETED ]] || { cat "$work/on.txt"; fail "job $job ended $state"; }
grep -qx "batch LD=\[$preload:$userlib\]" "$work/on.txt" || fail "batch step: $(grep 'batch LD' "$work/on.txt")"
grep -qx "step LD=\[$preload:$userlib\] maps=yes" "$work/on.txt" || fail "step inside the job: $(grep 'step LD' "$work/on.txt")"
for run in 0 1; do
  [[ -n "$(find "$records" -name "hpcmontest.$job.batch.r0.$run.h5")" ]] ||
    fail "no record of run $run: $(records_found "$records")"
done
[[ "$(records_found "$records" | wc -l)" -eq 2 ]] || fail "expected 2 records: $(records_found "$records")"

job="$(sbatch --parsable --hpcmon=off -n2 -J spank-batch-off -o "$work/off.txt" --export="ALL,LD_PRELOAD=$userlib" "$work/job.sh")"
state="$(wait_job "$job")"
[[ "$state" == COMPLETED ]] || { cat "$work/off.txt"; fail "job $job ended $state"; }
grep -qx "batch LD=\[$userlib\]" "$work/off.txt" || fail "batch step with off: $(grep 'batch LD' "$work/off.txt")"
grep -qx "step LD=\[$userlib\] maps=no" "$work/off.txt" || fail "step with off: $(grep 'step LD' "$work/off.txt")"
[[ -z "$(find "$records" -name "hpcmontest.$job.*")" ]] || fail "record with sbatch --hpcmon=off"
echo "ok: spank batch job"
