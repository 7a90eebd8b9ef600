#!/usr/bin/env bash
# Memory profiles of a batch job's own processes: `sbatch --hpcmon-mem` preloads the library into
# the batch script (the plugin names the step in HPCMON_MEM_STEP: the script's processes have no
# SLURM_STEP_ID). The leaker run by the script is in the batch step's partial with its planted
# leak; the leaker launched by `srun` inside the script is in step 0's partial, and neither is in
# the other's. The epilog got the agent's answer before it removed the profiles.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/memprof_lib.sh"
start_memprof_agent

cat >"$work/job.sh" <<SH
#!/bin/bash
MEMPROF_TEST_BLOCKS=5 MEMPROF_TEST_SIZE=1200 "$work/leaker"
srun -n1 --export=ALL,MEMPROF_TEST_BLOCKS=7,MEMPROF_TEST_SIZE=3300 "$work/leaker"
SH
chmod 755 "$work/job.sh"
job="$(sbatch --parsable --uid=hpcmontest --chdir=/tmp -n1 -J memprof-batch --hpcmon-mem -o /dev/null "$work/job.sh")"
state="$(wait_job "$job")"
[[ "$state" == COMPLETED ]] || fail "job $job ended $state"
batch="$(wait_partial "$job" batch)"
step0="$(wait_partial "$job" 0)"
# check FILE BLOCKS SIZE: exactly one leaker process, with exactly the planted leak.
check() {
  "$python" - "$@" <<'PY'
import sys, h5py
path, blocks, size = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
with h5py.File(path, "r") as f:
    assert "memory" in f, list(f)
    exe = lambda p: p.attrs["exe"].decode() if isinstance(p.attrs["exe"], bytes) else p.attrs["exe"]
    leakers = [p for p in f["memory"].values() if exe(p).endswith("/leaker")]
    assert len(leakers) == 1, [exe(p) for p in f["memory"].values()]
    rows = leakers[0]["user_leaks"][()]
    fn = lambda r: r["function"].decode() if isinstance(r["function"], bytes) else r["function"]
    planted = [r for r in rows if fn(r) == "planted_leak"]
    assert len(planted) == 1 and planted[0]["count"] == blocks and planted[0]["bytes"] == blocks * size, rows
PY
}
check "$batch" 5 1200 || fail "batch step's /memory in $batch"
check "$step0" 7 3300 || fail "step 0's /memory in $step0"
# The epilog removed the run directory only after the agent's answer.
for _ in $(seq 150); do [[ -d "$work/run/$job" ]] || break; sleep 0.1; done
[[ ! -d "$work/run/$job" ]] || fail "the epilog did not remove $work/run/$job"
if new_log | grep -q "job $job: memory profiles removed without the node agent's answer"; then
  new_log | grep hpcmon; fail "the epilog removed the profiles without the agent's answer"
fi
if grep -q "memory profiling was on" "$agent_log"; then cat "$agent_log"; fail "a profiled step lost its profiles"; fi
echo "ok: batch step's own processes profiled into its partial"
