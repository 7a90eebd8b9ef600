#!/usr/bin/env bash
# Instructions per wrapped call (callgrind), which machine load does not change: the difference
# between 110,000 and 10,000 calls of one loop, divided by 100,000, for MPI_Send to
# MPI_PROC_NULL (a timed call) and MPI_Test on MPI_REQUEST_NULL (a poll), 1 rank (singleton).
# Variants: no preload, each given preload, and the first given preload with HPCMON_MPI_LIVE=0.
# Usage: bench/mpi_live_instructions.sh <libhpcmon_mpi.so> [other libhpcmon_mpi.so...]
set -euo pipefail
[[ $# -ge 1 ]] || { echo "usage: $0 <libhpcmon_mpi.so> [other libhpcmon_mpi.so...]" >&2; exit 2; }
out="$(mktemp -d /tmp/hpcmon-mpi-ir-XXXXXX)"
cat >"$out/ir.c" <<'C'
#include <mpi.h>
#include <stdlib.h>
int main(int argc, char** argv) {
  MPI_Init(&argc, &argv);
  long n = atol(argv[1]);
  int v = 0, flag = 0;
  MPI_Request r = MPI_REQUEST_NULL;
  if (argv[2][0] == 's') for (long i = 0; i < n; ++i) MPI_Send(&v, 1, MPI_INT, MPI_PROC_NULL, 0, MPI_COMM_WORLD);
  else for (long i = 0; i < n; ++i) MPI_Test(&r, &flag, MPI_STATUS_IGNORE);
  MPI_Finalize();
  return 0;
}
C
mpicc -O2 -o "$out/ir" "$out/ir.c"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,vader
export HPCMON_MPI_QUIET=1 HPCMON_OUTPUT_DIR="$out/records" HPCMON_RUN_DIR="$out" HPCMON_CONFIG="$out/no-config.yaml"
instructions() {  # PRELOAD CALLS MODE [ENV...]
  local preload=$1 n=$2 mode=$3
  shift 3
  env LD_PRELOAD="$preload" "$@" valgrind --tool=callgrind --callgrind-out-file="$out/cg.out" "$out/ir" "$n" "$mode" \
    >/dev/null 2>"$out/cg.err"
  grep -o 'Collected : [0-9]*' "$out/cg.err" | awk '{ print $3 }'
}
per_call() {  # PRELOAD MODE [ENV...]
  local a b
  a=$(instructions "$1" 10000 "$2" "${@:3}")
  b=$(instructions "$1" 110000 "$2" "${@:3}")
  echo $(((b - a) / 100000))
}
header="| case | without"
for p in "$@"; do header+=" | $p"; done
echo "$header | $1 with HPCMON_MPI_LIVE=0 |"
for mode in send test; do
  row="| $mode | $(per_call "" "$mode")"
  for p in "$@"; do row+=" | $(per_call "$p" "$mode")"; done
  row+=" | $(per_call "$1" "$mode" HPCMON_MPI_LIVE=0) |"
  echo "$row"
done
