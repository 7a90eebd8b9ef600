#!/usr/bin/env bash
# Cost of the preload's Fortran entries (libhpcmon_mpi.so) per call, `use mpi` and `use mpi_f08`,
# against the same program without the preload, runs interleaved (the VM is bimodal: compare
# medians of paired runs, never single runs). Cases: bench/mpi_fortran_calls.F90.
# Usage: bench/mpi_fortran_overhead.sh [build dir (default ./build)] [runs (default 7)]
# Environment: HPCMON_BENCH_CALLS (default 2,000,000 calls per case).
# Prints a Markdown table on stdout.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
runs="${2:-7}"
calls="${HPCMON_BENCH_CALLS:-2000000}"
preload="$(find "$build" -name libhpcmon_mpi.so -print -quit)"
[[ -n "$preload" ]] || { echo "mpi_fortran_overhead: no libhpcmon_mpi.so under $build" >&2; exit 1; }
out="$(mktemp -d /tmp/hpcmon-fortran-bench-XXXXXX)"
trap 'rm -rf "$out"' EXIT
mpif90 -O2 -o "$out/use_mpi" "$root/bench/mpi_fortran_calls.F90"
mpif90 -O2 -DHPCMON_F08 -o "$out/f08" "$root/bench/mpi_fortran_calls.F90"

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,vader HPCMON_MPI_QUIET=1
export HPCMON_OUTPUT_DIR="$out/records"
raw="$out/raw.txt"
: >"$raw"
for ((r = 0; r < runs; ++r)); do
  for binding in use_mpi f08; do
    for variant in base preload; do
      pre=()
      [[ $variant == preload ]] && pre=(-x "LD_PRELOAD=$preload")
      mpirun -np 2 --bind-to core "${pre[@]}" -x HPCMON_OUTPUT_DIR -x HPCMON_MPI_QUIET \
        "$out/$binding" "$calls" | sed "s/^/$binding $variant $r /" >>"$raw"
    done
  done
done

/usr/bin/python3 - "$raw" "$runs" "$calls" <<'PY'
import collections, statistics, sys
raw, runs, calls = sys.argv[1:4]
data = collections.defaultdict(dict)
for line in open(raw):
    binding, variant, run, case, value = line.split()
    data[(binding, case, variant)][run] = float(value)
def spread(xs):
    if len(xs) < 2: return "n/a"
    q = statistics.quantiles(xs, n=4)
    return f"{q[0]:.1f} to {q[2]:.1f}"
print(f"Fortran entries, 2 ranks, {runs} interleaved runs, {calls} calls per case; ns per call, median\n")
print("| binding | case | without | with preload | added (median of paired differences) | paired IQR |")
print("|---|---|---|---|---|---|")
for binding in ("use_mpi", "f08"):
    for case in ("send_proc_null", "test_poll", "waitall_2", "waitany_2"):
        b, p = data[(binding, case, "base")], data[(binding, case, "preload")]
        runs_both = sorted(set(b) & set(p))
        diffs = [p[r] - b[r] for r in runs_both]
        print(f"| {binding} | {case} | {statistics.median(b.values()):.1f} | {statistics.median(p.values()):.1f} "
              f"| {statistics.median(diffs):+.1f} | {spread(diffs)} |")
PY
