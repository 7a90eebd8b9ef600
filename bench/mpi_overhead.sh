#!/usr/bin/env bash
# Cost of the MPI preload (libhpcmon_mpi.so), measured against the same program without it in
# the same script, runs interleaved (the VM is bimodal: compare medians, never single runs).
#   per call : MPI_Send to MPI_PROC_NULL, MPI_Test polling, 0- and 8-byte ping-pong (2 ranks)
#   memory   : Private_Dirty of /proc/self/smaps_rollup on ranks 0 and 1 (clean library text excluded)
#   finalize : rank 0's MPI_Finalize time at 2..64 ranks, and the bytes each rank sends in the
#              preload's own PMPI traffic (counted by bench/mpi_finalize_observer.c, a second
#              preloaded library that interposes the PMPI_* entry points behind the preload)
# Usage: bench/mpi_overhead.sh [build dir (default ./build)] [runs (default 11)] [finalize runs (default 5)]
#        bench/mpi_overhead.sh --summary RAW RUNS FINALIZE_RUNS CALLS   (tables again from raw figures)
# Environment: HPCMON_BENCH_CALLS (default 5,000,000), HPCMON_BENCH_RANKS (default "2 4 8 16 32 64").
# Prints a Markdown summary on stdout (also saved as summary.md beside raw.txt).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
# summarize RAW RUNS FINALIZE_RUNS CALLS: the Markdown tables of docs/benchmarks.md.
summarize() {
/usr/bin/python3 - "$@" <<'PY'
import collections, statistics, sys
raw, runs, fin_runs, calls = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4]
data = collections.defaultdict(list)
for line in open(raw):
    variant, label, np, key, value = line.split()
    data[(label, int(np), key, variant)].append(float(value))

def med(xs): return statistics.median(xs) if xs else float("nan")
def spread(xs):
    if len(xs) < 2: return "n/a"
    q = statistics.quantiles(xs, n=4)
    return f"{q[0]:.1f}-{q[2]:.1f}"

print(f"Per call, 2 ranks, {runs} interleaved runs, {calls} calls per case (ping-pong {int(calls)//10} round trips); median (IQR) in ns\n")
print("| case | without | with preload | added (median of paired differences) | paired IQR |")
print("|---|---|---|---|---|")
for key in ["send_proc_null", "test_poll", "pingpong_0", "pingpong_8"]:
    b, p = data[("calls", 2, key, "base")], data[("calls", 2, key, "preload")]
    diffs = [y - x for x, y in zip(b, p)]
    print(f"| {key} | {med(b):.1f} ({spread(b)}) | {med(p):.1f} ({spread(p)}) | {med(diffs):+.1f} | {spread(diffs)} |")
print()
for r in (0, 1):
    b, p = data[("calls", 2, f"private_dirty_kib_rank{r}", "base")], data[("calls", 2, f"private_dirty_kib_rank{r}", "preload")]
    print(f"Private_Dirty of rank {r} after the cases (KiB): without {med(b):.0f}, with {med(p):.0f}, added {med(p) - med(b):+.0f} KiB ({(med(p) - med(b)) / 1024:+.2f} MiB)  ")
print()
print(f"Rank 0 MPI_Finalize (ms), {fin_runs} interleaved runs, median (IQR)\n")
print("| ranks | without | with preload | added | bytes sent by the preload, largest rank |")
print("|---|---|---|---|---|")
for np in sorted({k[1] for k in data if k[0] == "finalize"}):
    b, p = data[("finalize", np, "finalize_ms", "base")], data[("finalize", np, "finalize_ms", "preload")]
    g = data[("finalize", np, "tool_sent_bytes", "observed")]
    gtxt = f"{max(g):.0f}" if g else "not seen"
    print(f"| {np} | {med(b):.2f} ({spread(b)}) | {med(p):.2f} ({spread(p)}) | {med(p) - med(b):+.2f} | {gtxt} |")
PY
}

if [[ "${1:-}" == --summary ]]; then
  summarize "${@:2}"
  exit 0
fi
build="$(cd "${1:-$root/build}" && pwd)"
runs="${2:-11}"
finalize_runs="${3:-5}"
calls="${HPCMON_BENCH_CALLS:-5000000}"
rank_counts="${HPCMON_BENCH_RANKS:-2 4 8 16 32 64}"

preload="$(find "$build" -name libhpcmon_mpi.so -print -quit)"
[[ -n "$preload" ]] || { echo "mpi_overhead: no libhpcmon_mpi.so under $build" >&2; exit 1; }
out="$(mktemp -d /tmp/hpcmon-mpi-bench-XXXXXX)"
mpicc -O2 -o "$out/calls" "$root/bench/mpi_overhead_calls.c"
mpicc -O2 -o "$out/finalize" "$root/bench/mpi_overhead_finalize.c"
mpicc -O2 -shared -fPIC -o "$out/observer.so" "$root/bench/mpi_finalize_observer.c"

export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,vader OMPI_MCA_rmaps_base_oversubscribe=1
export HPCMON_MPI_QUIET=1
raw="$out/raw.txt"
: >"$raw"

# run VARIANT LABEL NP PROGRAM ARGS...: appends "VARIANT LABEL NP key value" lines to $raw.
# Variant "observed" is the preload with the observer behind it.
run() {
  local variant=$1 label=$2 np=$3
  shift 3
  local records="$out/records" bind=(--bind-to core)
  (( np > 2 )) && bind=(--bind-to none)
  rm -rf "$records"
  if [[ $variant != base ]]; then
    local libs="$preload"
    [[ $variant == observed ]] && libs="$preload:$out/observer.so"
    env LD_PRELOAD="$libs" HPCMON_OUTPUT_DIR="$records" \
      mpirun -np "$np" "${bind[@]}" -x LD_PRELOAD -x HPCMON_OUTPUT_DIR "$@" >"$out/run.out" 2>"$out/run.err"
  else
    mpirun -np "$np" "${bind[@]}" "$@" >"$out/run.out" 2>"$out/run.err"
  fi
  awk -v v="$variant" -v l="$label" -v n="$np" 'NF == 2 { print v, l, n, $1, $2 }' "$out/run.out" >>"$raw"
  # Largest number of bytes one rank sent through the preload's PMPI calls.
  { grep -o 'tool_sent_bytes=[0-9]*' "$out/run.err" || true; } | cut -d= -f2 | sort -n | tail -1 |
    awk -v v="$variant" -v l="$label" -v n="$np" '{ print v, l, n, "tool_sent_bytes", $1 }' >>"$raw"
  if [[ $variant != base ]] && [[ -z "$(find "$records" -name '*.h5' -print -quit 2>/dev/null)" ]]; then
    echo "mpi_overhead: the preload wrote no record (np $np): $(head -c 300 "$out/run.err")" >&2
  fi
}

for ((i = 1; i <= runs; i++)); do
  # Alternate which variant goes first, so slow drift of the VM does not favour one.
  if (( i % 2 )); then order=(base preload); else order=(preload base); fi
  for v in "${order[@]}"; do run "$v" calls 2 "$out/calls" "$calls"; done
done
for np in $rank_counts; do
  for ((i = 1; i <= finalize_runs; i++)); do
    if (( i % 2 )); then order=(base preload); else order=(preload base); fi
    for v in "${order[@]}"; do run "$v" finalize "$np" "$out/finalize"; done
  done
  run observed finalize "$np" "$out/finalize"
done

summarize "$raw" "$runs" "$finalize_runs" "$calls" | tee "$out/summary.md"
echo
echo "raw figures: $raw"
