#!/usr/bin/env bash
# The main job: installs what hpcmon needs, builds it, shows what the sampler reads on
# this machine, runs an unmodified MPI program under the preload and reports its record.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${HPCMON_BUILD_DIR:-$root/build}"

bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh"

echo
echo "== What the sampler reads on $(hostname -s) =="
"$build/bin/hpcmon-sample"

echo
echo "== An unmodified MPI program under the preload =="
mkdir -p "$build/demo"
mpicc -O2 -o "$build/demo/heat1d" "$root/scripts/demo/heat1d.c"
records="$build/demo/records"
rm -rf "$records" && mkdir -p "$records"
# Open MPI refuses root without these; shared-memory transports start fastest on one node.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,vader
mpirun -np 4 --oversubscribe -x LD_PRELOAD="$build/lib/libhpcmon_mpi.so" -x HPCMON_OUTPUT_DIR="$records" \
  "$build/demo/heat1d" 3000

record="$(find "$records" -name '*.h5' | head -1)"
echo
echo "== hpcmon report $record =="
"$build/bin/hpcmon" report "$record"
