#!/usr/bin/env bash
# Cost of the memory-profiling preload (libhpcmon_mem.so), with and without it in the same
# script, runs interleaved (the VM is bimodal: compare medians, never single runs).
#   alloc   : ns per malloc/free pair of bench/memprof_bench_alloc.c (sizes 16..1039, three call
#             levels): no preload, preload with 8-frame stacks (default), preload without stacks
#   unwind  : ns per 8-frame stack capture, libgcc's _Unwind_Backtrace against libunwind's
#             unw_backtrace (bench/memprof_bench_unwind.c)
#   mpi     : wall time of mpirun -np 2 of memprof_mpi_leak (MPI_Init, 8 MiB of buffers through a
#             ring, MPI_Finalize) without and with the preload, through hyperfine
# Usage: bench/memprof_bench.sh [build dir (default ./build)] [runs (default 7)]
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
runs="${2:-7}"
preload="$build/lib/libhpcmon_mem.so"
[[ -f "$preload" ]] || { echo "memprof_bench: build hpcmon_mem first ($preload)" >&2; exit 1; }
work="$(mktemp -d /tmp/hpcmon-memprof-bench-XXXXXX)"
trap 'rm -rf "$work"' EXIT
cc -O2 -g "$root/bench/memprof_bench_alloc.c" -o "$work/alloc"
cc -O2 "$root/bench/memprof_bench_unwind.c" -lunwind -o "$work/unwind"
mkdir -p "$work/profiles"
export HPCMON_OUTPUT_DIR="$work/profiles"

median() { sort -g | awk '{v[NR]=$1} END {print (NR%2 ? v[(NR+1)/2] : (v[NR/2]+v[NR/2+1])/2)}'; }

: > "$work/alloc.txt"
for ((i = 0; i < runs; i++)); do
  echo "none $("$work/alloc" | awk '{print $2}')" >> "$work/alloc.txt"
  echo "depth8 $(LD_PRELOAD="$preload" "$work/alloc" | awk '{print $2}')" >> "$work/alloc.txt"
  echo "depth0 $(HPCMON_MEM_DEPTH=0 LD_PRELOAD="$preload" "$work/alloc" | awk '{print $2}')" >> "$work/alloc.txt"
done
"$work/unwind" > "$work/unwind.txt"

echo "### memprof: ns per malloc/free pair (median of $runs interleaved runs, 2,000,000 pairs)"
echo
echo "| variant | ns per pair | added |"
echo "|---|---|---|"
base=$(awk '$1=="none"{print $2}' "$work/alloc.txt" | median)
for v in none depth8 depth0; do
  m=$(awk -v v=$v '$1==v{print $2}' "$work/alloc.txt" | median)
  label=$v; [[ $v == none ]] && label="no preload"; [[ $v == depth8 ]] && label="preload, 8-frame stacks (default)"
  [[ $v == depth0 ]] && label="preload, HPCMON_MEM_DEPTH=0"
  printf '| %s | %.1f | %+.1f |\n' "$label" "$m" "$(echo "$m - $base" | bc -l)"
done
echo
echo "Stack capture, 8 frames at depth 12 (ns): $(awk '/libgcc/{g=$2} /libunwind/{u=$2} END {printf "libgcc _Unwind_Backtrace %s, libunwind unw_backtrace %s", g, u}' "$work/unwind.txt")"

mpirun_bin="$(command -v mpirun || true)"
mpi_program="$build/bin/memprof_mpi_leak"
if [[ -n "$mpirun_bin" && -x "$mpi_program" ]] && command -v hyperfine > /dev/null; then
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,vader
  echo
  echo "MPI workload (mpirun -np 2 memprof_mpi_leak, hyperfine, $runs runs each):"
  hyperfine -N --warmup 1 --runs "$runs" --export-markdown "$work/mpi.md" \
    -n "no preload" "$mpirun_bin -np 2 $mpi_program" \
    -n "libhpcmon_mem.so" "$mpirun_bin -x LD_PRELOAD=$preload -np 2 $mpi_program" > /dev/null
  cat "$work/mpi.md"
fi
