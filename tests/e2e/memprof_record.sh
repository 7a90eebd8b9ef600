#!/usr/bin/env bash
# Memory profiles into the job record: a step run with --hpcmon-mem gets libhpcmon_mem.so
# preloaded, the node agent adds its profile to the node partial as /memory (analysed as the
# job's user), and the planted leak (count and size from the environment) is attributed to its
# function exactly, in the file (h5py), in `hpcmon report` and through `hpcmon merge`. A step
# without the option has the library not loaded and no /memory group.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/memprof_lib.sh"
start_memprof_agent

# With the option: the library is in the task, the planted leak reaches the record.
timeout 60 srun --uid=hpcmontest --chdir=/tmp -n1 -J memprof-on --hpcmon-mem \
  --export=ALL,MEMPROF_TEST_BLOCKS=11,MEMPROF_TEST_SIZE=2500 "$work/leaker" >"$work/on.out" 2>"$work/on.err" ||
  { cat "$work/on.err"; fail "srun --hpcmon-mem failed"; }
[[ "$(cat "$work/on.out")" == "leaker done" ]] || fail "leaker printed $(cat "$work/on.out")"
job_on="$(job_id_named memprof-on)"
partial_on="$(wait_partial "$job_on" 0)"
"$python" - "$partial_on" <<'PY' || fail "/memory of $partial_on"
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    assert "memory" in f, list(f)
    procs = list(f["memory"].values())
    assert len(procs) == 1, [p.name for p in procs]
    p = procs[0]
    assert p.attrs["rank"] == 0, p.attrs["rank"]
    assert p.attrs["live_blocks"] == 11 and p.attrs["live_bytes"] == 27500, dict(p.attrs)
    leaks = p["user_leaks"][()]
    assert len(leaks) == 1, leaks
    row = leaks[0]
    fn = row["function"].decode() if isinstance(row["function"], bytes) else row["function"]
    assert fn == "planted_leak", fn
    assert row["count"] == 11 and row["bytes"] == 27500, row
    assert p["samples"].shape[1] == 3 and p["samples"].shape[0] >= 1
PY
"$hpcmon" report "$partial_on" >"$work/report.txt" || fail "hpcmon report failed"
grep -q "^Memory" "$work/report.txt" || { cat "$work/report.txt"; fail "no Memory section"; }
grep -q "leak 11 blocks 27500 bytes  planted_leak" "$work/report.txt" || { cat "$work/report.txt"; fail "leak not reported"; }
# The epilog removed the run directory (and the profile) only after the agent's answer.
for _ in $(seq 150); do [[ -d "$work/run/$job_on" ]] || break; sleep 0.1; done
[[ ! -d "$work/run/$job_on" ]] || fail "the epilog did not remove $work/run/$job_on"
if new_log | grep -q "job $job_on: memory profiles removed without the node agent's answer"; then
  new_log | grep hpcmon; fail "the epilog removed the profile without the agent's answer"
fi
"$hpcmon" merge "$work/merged.h5" "$partial_on" >/dev/null || fail "hpcmon merge failed"
"$hpcmon" report "$work/merged.h5" | grep -q "leak 11 blocks 27500 bytes  planted_leak" || fail "merge lost /memory"

# Without the option: the library is not loaded, no /memory group.
timeout 60 srun --uid=hpcmontest --chdir=/tmp -n1 -J memprof-off /bin/grep -c libhpcmon_mem /proc/self/maps \
  >"$work/off.out" 2>"$work/off.err" && fail "libhpcmon_mem.so mapped without --hpcmon-mem"
[[ "$(cat "$work/off.out")" == "0" ]] || { cat "$work/off.err"; fail "maps count $(cat "$work/off.out")"; }
partial_off="$(wait_partial "$(job_id_named memprof-off)" 0)"
"$python" - "$partial_off" <<'PY' || fail "/memory in $partial_off"
import sys, h5py
with h5py.File(sys.argv[1], "r") as f:
    assert "memory" not in f, list(f)
PY
[[ -z "$(find "$work/run" -name '*.memprof' 2>/dev/null)" ]] || fail "profile files left without --hpcmon-mem"
grep -q "error" "$agent_log" && { cat "$agent_log"; fail "agent logged an error"; }
grep -q "memory profiling was on" "$agent_log" && { cat "$agent_log"; fail "a profiled step lost its profile"; }
echo "ok: memory profiles in the record, --hpcmon-mem switch"
