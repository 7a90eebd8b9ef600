#!/usr/bin/env bash
# With the plugin and no manual LD_PRELOAD, `srun --mpi=pmix -n2` of an MPI program gives
# one record under <record_dir>/<user>/<YYYY>/<MM>/<DD>/<key>.h5; the record folder and the
# run directory have the owners and modes of the architecture page; job_epilog removes the
# run directory.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/spank_lib.sh"
use_plugin "$(test_args)"

timeout 60 srun --mpi=pmix -n2 -J spank-srun "$heat1d" 100 >"$work/stdout" 2>"$work/stderr" ||
  { cat "$work/stderr"; fail "srun failed"; }
grep -q "heat1d: 2 ranks, 100 steps" "$work/stdout" || fail "program output changed: $(cat "$work/stdout")"
job="$(job_id_named spank-srun)"
user="$(id -un)"
mapfile -t found < <(records_found "$records")
[[ ${#found[@]} -eq 1 ]] || fail "expected one record, found ${#found[@]}: ${found[*]}"
[[ "${found[0]}" == "$records/$user/"????/??/??/"hpcmontest.$job.0.r0.0.h5" ]] || fail "record at ${found[0]}"
export_json "${found[0]}" >"$work/record.json"
"$python" - "$work/record.json" "$job" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))["job"]
got = (j["cluster"], j["job"], j["step"], j["ranks"], j["name"])
want = ("hpcmontest", sys.argv[2], "0", 2, "spank-srun")
assert got == want, f"FAIL: record job {got}, expected {want}"
PY

# Record folder: owner the user, group hpcmon (or the user's group without it), setgid, 2750.
group="$(getent group hpcmon >/dev/null && echo hpcmon || id -gn)"
[[ "$(stat -c '%U %G %a' "$records/$user")" == "$user $group 2750" ]] ||
  fail "record folder is $(stat -c '%U %G %a' "$records/$user"), expected $user $group 2750"

# The run directory exists for the job's steps, owned by the job user, 0700, and is gone after.
out="$(timeout 30 srun -n1 -J spank-rundir bash -c 'echo "$HPCMON_RUN_DIR $(stat -c "%U %a" "$HPCMON_RUN_DIR")"')"
job2="$(job_id_named spank-rundir)"
[[ "$out" == "$work/run/$job2 $user 700" ]] || fail "run directory in the step: '$out'"
for _ in $(seq 50); do [[ -e "$work/run/$job2" ]] || break; sleep 0.1; done
[[ ! -e "$work/run/$job2" ]] || fail "job_epilog left $work/run/$job2"
echo "ok: spank srun record $job, record folder and run directory"
