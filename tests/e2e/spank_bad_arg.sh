#!/usr/bin/env bash
# Malformed plugstack arguments: slurmd's log names each one, the job runs, and every other
# setting still applies (bad ones keep their defaults).
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/spank_lib.sh"
use_plugin "$(test_args) interval=fast events=PAPI_TOT_INS,NOPE colour=red"

got="$(timeout 30 srun -n1 bash -c 'echo "$HPCMON_GENERAL__SAMPLE_INTERVAL_S $HPCMON_HPC__EVENTS"')" || fail "srun failed"
[[ "$got" == "1.0 PAPI_TOT_CYC,PAPI_TOT_INS,perf::task-clock,perf::context-switches,perf::page-faults" ]] ||
  fail "defaults not kept: $got"
timeout 60 srun --mpi=pmix -n2 -J spank-badarg "$heat1d" 20 >/dev/null || fail "MPI step failed"
job="$(job_id_named spank-badarg)"
[[ -n "$(find "$records" -name "hpcmontest.$job.0.r0.0.h5")" ]] || fail "no record: $(records_found "$records")"
for line in "hpcmon: interval: invalid value: fast" "hpcmon: events: invalid value: PAPI_TOT_INS,NOPE" \
  "hpcmon: colour: invalid value: red"; do
  new_log | grep -F "$line" >/dev/null || fail "slurmd.log lacks '$line'"
done
echo "ok: spank malformed plugstack arguments"
