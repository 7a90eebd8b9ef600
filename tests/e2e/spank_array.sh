#!/usr/bin/env bash
# A job array: each task's MPI step gets its own record, keyed <array job>_<task>.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/spank_lib.sh"
use_plugin "$(test_args)"

job="$(sbatch --parsable --array=1-2 -n2 -J spank-array -o "$work/out.%a.txt" \
  --wrap "srun --mpi=pmix -n2 $heat1d 50")"
state="$(wait_job "$job")"
[[ "$state" == COMPLETED ]] || fail "array $job ended $state"
for task in 1 2; do
  grep -q "heat1d: 2 ranks, 50 steps" "$work/out.$task.txt" || fail "task $task output: $(cat "$work/out.$task.txt")"
  record="$(find "$records" -name "hpcmontest.${job}_$task.0.r0.0.h5")"
  [[ -n "$record" ]] || fail "no record of array task $task: $(records_found "$records")"
  key="$(export_json "$record" | "$python" -c 'import json,sys; j=json.load(sys.stdin)["job"]; print(j["job"], j["step"])')"
  [[ "$key" == "${job}_$task 0" ]] || fail "record of task $task says $key"
done
[[ "$(records_found "$records" | wc -l)" -eq 2 ]] || fail "expected 2 records: $(records_found "$records")"
echo "ok: spank job array"
