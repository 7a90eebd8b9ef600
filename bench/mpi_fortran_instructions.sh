#!/usr/bin/env bash
# Instructions the preload adds per call, C, `use mpi` and `use mpi_f08` (valgrind callgrind,
# 1 rank): the difference between 110,000 and 10,000 calls, divided by 100,000, without and
# with the preload. Unlike times, these do not change with the machine's load.
# Usage: bench/mpi_fortran_instructions.sh [build dir (default ./build)]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
preload="$(find "$build" -name libhpcmon_mpi.so -print -quit)"
[[ -n "$preload" ]] || { echo "mpi_fortran_instructions: no libhpcmon_mpi.so under $build" >&2; exit 1; }
out="$(mktemp -d /tmp/hpcmon-instructions-XXXXXX)"
trap 'rm -rf "$out"' EXIT
mpicc -O2 -o "$out/c" "$root/bench/mpi_instructions_calls.c"
mpif90 -O2 -o "$out/use_mpi" "$root/bench/mpi_instructions_calls.F90"
mpif90 -O2 -DHPCMON_F08 -o "$out/f08" "$root/bench/mpi_instructions_calls.F90"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,vader HPCMON_MPI_QUIET=1 HPCMON_OUTPUT_DIR="$out/records"
# refs PROGRAM CASE CALLS [PRELOAD]: instructions of the whole run.
refs() {
  local pre=()
  [[ -n "${4:-}" ]] && pre=(-x "LD_PRELOAD=$4")
  mpirun -np 1 "${pre[@]}" -x HPCMON_MPI_QUIET -x HPCMON_OUTPUT_DIR \
    valgrind --tool=callgrind --callgrind-out-file=/dev/null "$out/$1" "$2" "$3" 2>&1 |
    awk '/refs:/ {gsub(",", "", $NF); print $NF}'
}
echo "| program | case | without | with preload | added |"
echo "|---|---|---|---|---|"
for program in c use_mpi f08; do
  for case in send waitall waitany; do
    base=$(( ($(refs $program $case 110000) - $(refs $program $case 10000)) / 100000 ))
    with=$(( ($(refs $program $case 110000 "$preload") - $(refs $program $case 10000 "$preload")) / 100000 ))
    echo "| $program | $case | $base | $with | +$((with - base)) |"
  done
done
