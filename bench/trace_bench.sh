#!/usr/bin/env bash
# Cost of MPI tracing (docs/tracing.md), in one script run with interleaved variants (the VM
# is bimodal: compare medians of paired runs, never single runs):
#   base    the program without the preload
#   preload libhpcmon_mpi.so, tracing off
#   traced  libhpcmon_mpi.so with HPCMON_MPI_TRACE=1 (buffer large enough: nothing dropped)
# Per call: MPI_Send to MPI_PROC_NULL and 8-byte ping-pong at 2 ranks. Trace bytes per million
# calls: record size traced minus untraced, over the events the trace holds. Finalize: rank 0's
# MPI_Finalize at 2 and 4 ranks, preload vs traced (the trace merge and write).
# Usage: bench/trace_bench.sh [build dir (default ./build)] [runs (default 5)]
# Environment: HPCMON_BENCH_CALLS (default 1,000,000 per case; ping-pong uses 1/10);
# HPCMON_BENCH_LOAD=N runs N busy loops beside the runs (a loaded machine: finalize under load).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
runs="${2:-5}"
calls="${HPCMON_BENCH_CALLS:-1000000}"
preload="$(find "$build" -name libhpcmon_mpi.so | head -1)"
[[ -f "$preload" ]] || { echo "build hpcmon_mpi and hpcmon_mpi_report first" >&2; exit 2; }
work="$(mktemp -d /tmp/trace-bench.XXXXXX)"
load_pids=()
trap 'kill "${load_pids[@]}" 2>/dev/null; rm -rf "$work"' EXIT
for ((l = 0; l < ${HPCMON_BENCH_LOAD:-0}; ++l)); do
  bash -c 'while :; do :; done' &
  load_pids+=($!)
done
mpicc -O2 -o "$work/trace_bench" "$root/bench/trace_bench.c"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,vader \
       OMPI_MCA_rmaps_base_oversubscribe=1 HPCMON_MPI_QUIET=1 HPCMON_MPI_LIVE=0
raw="$work/raw.txt"
one() {  # variant ranks
  local variant="$1" np="$2" out="$work/rec-$1-$2"
  rm -rf "$out"; mkdir -p "$out"
  local env=(env HPCMON_OUTPUT_DIR="$out")
  [[ "$variant" != base ]] && env+=(LD_PRELOAD="$preload")
  [[ "$variant" == traced ]] && env+=(HPCMON_MPI_TRACE=1 HPCMON_MPI_TRACE_EVENTS=$((2 * calls)))
  # The waiting ranks' CPU time in MPI_Finalize is summed over the ranks of the run.
  "${env[@]}" mpirun -np "$np" --bind-to none "$work/trace_bench" "$calls" |
    awk -v v="$variant" -v np="$np" '$1 == "waiter_cpu_ms" { w += $2; next } { print v, np, $1, $2 }
                                     END { print v, np, "waiters_cpu_ms", w + 0 }' >> "$raw"
  local rec; rec="$(find "$out" -name '*.h5' | head -1)"
  [[ -n "$rec" ]] && echo "$variant $np record_bytes $(stat -c %s "$rec")" >> "$raw"
  if [[ "$variant" == traced && -n "$rec" ]]; then
    echo "$variant $np trace_events $(/usr/bin/python3 -c 'import h5py,sys; print(int(h5py.File(sys.argv[1])["trace"].attrs["events"]))' "$rec")" >> "$raw"
  fi
  return 0
}
for ((i = 0; i < runs; ++i)); do
  for np in 2 4; do
    for variant in base preload traced; do
      [[ $np == 4 && $variant == base ]] && continue
      one "$variant" "$np"
    done
  done
done
cp "$raw" /tmp/trace-bench-raw.txt
/usr/bin/python3 - "$raw" "$runs" "$calls" <<'PY'
import collections, statistics, sys
raw, runs, calls = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
d = collections.defaultdict(list)
for line in open(raw):
    v, np, k, x = line.split()
    d[(v, int(np), k)].append(float(x))
med = lambda xs: statistics.median(xs) if xs else float("nan")
def paired(a, b): return med([y - x for x, y in zip(d[a], d[b])])
print(f"{runs} interleaved runs, {calls} calls per case, medians\n")
print("| 2 ranks, ns per call | without | preload, tracing off | traced | tracing adds (paired) |")
print("|---|---|---|---|---|")
for k in ("send_proc_null", "pingpong_8"):
    b, p, t = d[("base", 2, k)], d[("preload", 2, k)], d[("traced", 2, k)]
    print(f"| {k} | {med(b):.1f} | {med(p):.1f} | {med(t):.1f} | {paired(('preload', 2, k), ('traced', 2, k)):+.1f} |")
for np in (2, 4):
    ev = med(d[("traced", np, "trace_events")])
    extra = med(d[("traced", np, "record_bytes")]) - med(d[("preload", np, "record_bytes")])
    print(f"\n{np} ranks: {ev:.0f} events traced, record {extra / 1e6:.1f} MB larger: "
          f"{extra / ev * 1e6 / 1e6:.2f} MB per million calls on disk (40 MB per million in the ranks' buffers)")
print("\n| ranks | MPI_Finalize, tracing off (ms) | traced (ms) | added (ms) | events merged | rank 0's CPU in it, off / traced (ms) | waiting ranks' CPU in it, off / traced (ms) |")
print("|---|---|---|---|---|---|---|")
for np in (2, 4):
    p, t = d[("preload", np, "finalize_ms")], d[("traced", np, "finalize_ms")]
    w = f"{med(d[('preload', np, 'waiters_cpu_ms')]):.0f} / {med(d[('traced', np, 'waiters_cpu_ms')]):.0f}"
    c = f"{med(d[('preload', np, 'finalize_cpu_ms')]):.0f} / {med(d[('traced', np, 'finalize_cpu_ms')]):.0f}"
    print(f"| {np} | {med(p):.1f} | {med(t):.1f} | {med(t) - med(p):+.1f} | {med(d[('traced', np, 'trace_events')]):.0f} | {c} | {w} |")
PY
