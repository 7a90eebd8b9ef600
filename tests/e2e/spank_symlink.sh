#!/usr/bin/env bash
# An unprivileged user plants a symlink where the run directory or the record folder of their
# job will be (both bases are world-writable and sticky, like /tmp). Root-side code follows
# neither: the link targets (root's directories) keep owner, mode and contents, nothing is
# written through the links, slurmd's log says why, and the job still runs, unmonitored.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/spank_lib.sh"
ensure_test_user
mkdir -p "$work/run" "$work/out" "$work/victim_run" "$work/victim_rec"
chmod 1777 "$records" "$work/run" "$work/out"
chmod 0755 "$work/victim_run" "$work/victim_rec"
use_plugin "$(test_args)"
as_user() { (cd /tmp && runuser -u hpcmontest -- "$@"); }
victims_untouched() {
  for v in "$work/victim_run" "$work/victim_rec"; do
    [[ "$(stat -c '%U %G %a' "$v")" == "root root 755" ]] || fail "$v changed: $(stat -c '%U %G %a' "$v")"
    [[ -z "$(ls -A "$v")" ]] || fail "written through the link into $v: $(ls -A "$v")"
  done
}

# 1. The run directory: the job id is known once the held job is queued.
job="$(as_user sbatch --parsable --hold -n2 -J spank-link-run -o "$work/out/%j.txt" \
  --wrap "srun --mpi=pmix -n2 $heat1d 30; echo \"LD=[\${LD_PRELOAD:-}]\"")"
as_user ln -s "$work/victim_run" "$work/run/$job"
scontrol release "$job"
state="$(wait_job "$job")"
[[ "$state" == COMPLETED ]] || { cat "$work/out/$job.txt"; fail "job $job ended $state"; }
grep -q "heat1d: 2 ranks, 30 steps" "$work/out/$job.txt" || fail "job output: $(cat "$work/out/$job.txt")"
grep -qx "LD=\[\]" "$work/out/$job.txt" || fail "unsafe job still preloaded: $(grep LD= "$work/out/$job.txt")"
[[ -L "$work/run/$job" ]] || fail "the planted link was replaced"
new_log | grep "hpcmon: run directory: .*/run/$job: is a symlink" >/dev/null || fail "slurmd.log does not say why: $(new_log | grep hpcmon)"
victims_untouched

# 2. The record folder.
as_user ln -s "$work/victim_rec" "$records/hpcmontest"
as_user timeout 60 srun --mpi=pmix -n2 -J spank-link-rec "$heat1d" 30 >"$work/out/rec.txt" 2>&1 ||
  { cat "$work/out/rec.txt"; fail "srun as hpcmontest failed"; }
grep -q "heat1d: 2 ranks, 30 steps" "$work/out/rec.txt" || fail "srun output: $(cat "$work/out/rec.txt")"
[[ -L "$records/hpcmontest" ]] || fail "the planted record-folder link was replaced"
new_log | grep "hpcmon: record folder: .*/hpcmontest: is a symlink" >/dev/null || fail "slurmd.log does not say why: $(new_log | grep hpcmon)"
victims_untouched
[[ -z "$(records_found "$records" "$work/victim_rec" "$work/victim_run")" ]] || fail "records written: $(records_found "$records")"

# 3. Without the links the same user's job is monitored (the test above is not vacuous).
rm "$records/hpcmontest"
as_user timeout 60 srun --mpi=pmix -n2 -J spank-user "$heat1d" 30 >/dev/null 2>&1 || fail "srun as hpcmontest failed"
[[ "$(stat -c '%U %a' "$records/hpcmontest")" == "hpcmontest 2750" ]] || fail "record folder: $(stat -c '%U %a' "$records/hpcmontest")"
[[ -n "$(records_found "$records/hpcmontest")" ]] || fail "no record of the user's job"
job="$(job_id_named spank-user)"
for _ in $(seq 50); do [[ -e "$work/run/$job" ]] || break; sleep 0.1; done
[[ ! -e "$work/run/$job" ]] || fail "job_epilog left the user's run directory $work/run/$job"
echo "ok: spank planted symlinks"
