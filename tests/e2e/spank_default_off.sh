#!/usr/bin/env bash
# default=off on the plugstack line: plain steps are not monitored; --hpcmon turns it on, and
# --hpcmon=<events> hands the user's counter events to the ranks.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/spank_lib.sh"
use_plugin "$(test_args) default=off interval=0.5"

show='echo "LD=[${LD_PRELOAD:-}] events=[${HPCMON_HPC__EVENTS:-}] interval=[${HPCMON_GENERAL__SAMPLE_INTERVAL_S:-}]"'
got="$(timeout 30 srun -n1 bash -c "$show")"
[[ "$got" == "LD=[] events=[] interval=[]" ]] || fail "plain step with default=off: $got"
got="$(timeout 30 srun --hpcmon -n1 bash -c "$show")"
[[ "$got" == "LD=[$preload] events=[PAPI_TOT_CYC,PAPI_TOT_INS,perf::task-clock,perf::context-switches,perf::page-faults] interval=[0.5]" ]] ||
  fail "--hpcmon with default=off: $got"
got="$(timeout 30 srun --hpcmon=perf::task-clock,perf::page-faults -n1 bash -c "$show")"
[[ "$got" == "LD=[$preload] events=[perf::task-clock,perf::page-faults] interval=[0.5]" ]] || fail "--hpcmon=<events>: $got"
timeout 30 srun --hpcmon=NOT_AN_EVENT -n1 true 2>"$work/stderr" && fail "srun accepted --hpcmon=NOT_AN_EVENT"
grep -q "hpcmon: --hpcmon: invalid value: NOT_AN_EVENT" "$work/stderr" || fail "no message: $(cat "$work/stderr")"
timeout 60 srun --mpi=pmix -n2 "$heat1d" 20 >/dev/null || fail "srun failed"
[[ -z "$(records_found "$records")" ]] || fail "record with default=off: $(records_found "$records")"
echo "ok: spank default=off"
