#!/usr/bin/env bash
# --hpcmon shows in srun's and sbatch's help; --hpcmon=off gives no preload (neither in the
# task's environment nor mapped in it) and no record, while monitoring is the site default.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/spank_lib.sh"
use_plugin "$(test_args) default=on"

# Into files first: `grep -q` on a pipe would end the writer early (SIGPIPE, and pipefail).
srun --help >"$work/srun.help" 2>&1 || true
sbatch --help >"$work/sbatch.help" 2>&1 || true
grep -qE -- '--hpcmon=\[on\|off\|events\]' "$work/srun.help" || fail "--hpcmon not in srun --help"
grep -q -- '--hpcmon' "$work/sbatch.help" || fail "--hpcmon not in sbatch --help"

timeout 60 srun --hpcmon=off --mpi=pmix -n2 "$heat1d" 50 >"$work/stdout" 2>&1 || { cat "$work/stdout"; fail "srun failed"; }
grep -q "heat1d: 2 ranks, 50 steps" "$work/stdout" || fail "program output changed"
got="$(timeout 30 srun --hpcmon=off -n1 bash -c \
  'echo "LD=[${LD_PRELOAD:-}] maps=$(grep -q libhpcmon_mpi /proc/self/maps && echo yes || echo no) vars=$(env | grep -c "^HPCMON_HPC__")"')"
[[ "$got" == "LD=[] maps=no vars=0" ]] || fail "task of --hpcmon=off: $got"
[[ -z "$(records_found "$records")" ]] || fail "records with --hpcmon=off: $(records_found "$records")"

# The same step without the option is monitored (the site default is on).
got="$(timeout 30 srun -n1 bash -c 'echo "LD=[$LD_PRELOAD] maps=$(grep -q libhpcmon_mpi /proc/self/maps && echo yes || echo no)"')"
[[ "$got" == "LD=[$preload] maps=yes" ]] || fail "task without the option: $got"
echo "ok: spank --hpcmon=off"
