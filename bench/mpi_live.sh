#!/usr/bin/env bash
# Cost of the live tables and of the sampling thread (docs/live-table.md), in one script with
# the variants interleaved (the VM is bimodal: compare medians of paired runs, never single runs).
#   per call : bench/mpi_overhead_calls.c (2 ranks, --bind-to core) without the preload, with the
#              part-1 preload (optional third argument: a libhpcmon_mpi.so built before live
#              tables), with the preload and HPCMON_MPI_LIVE=0, and with live tables (default)
#   sampler  : bench/mpi_live_sampler.c, 2 ranks for SECONDS each at sampling intervals of 1 s,
#              0.1 s and 0.01 s: on-CPU time of the hpcmon-sampler thread over the run
# Usage: bench/mpi_live.sh [build dir (default ./build)] [runs (default 7)] [part-1 libhpcmon_mpi.so]
# Environment: HPCMON_BENCH_CALLS (default 2,000,000), HPCMON_BENCH_SECONDS (default 10).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:-$root/build}" && pwd)"
runs="${2:-7}"
part1="${3:-}"
calls="${HPCMON_BENCH_CALLS:-2000000}"
seconds="${HPCMON_BENCH_SECONDS:-10}"
preload="$(find "$build" -name libhpcmon_mpi.so -print -quit)"
[[ -n "$preload" ]] || { echo "mpi_live: no libhpcmon_mpi.so under $build" >&2; exit 1; }
out="$(mktemp -d /tmp/hpcmon-mpi-live-bench-XXXXXX)"
mpicc -O2 -o "$out/calls" "$root/bench/mpi_overhead_calls.c"
mpicc -O2 -o "$out/sampler" "$root/bench/mpi_live_sampler.c"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,vader OMPI_MCA_rmaps_base_oversubscribe=1
export HPCMON_MPI_QUIET=1 HPCMON_CONFIG="$out/no-config.yaml"
raw="$out/raw.txt"
: >"$raw"

# run VARIANT LABEL PROGRAM ARGS...: appends "VARIANT LABEL key value" lines to $raw.
run() {
  local variant=$1 label=$2
  shift 2
  rm -rf "$out/records" "$out/run-dir"
  mkdir -p "$out/run-dir"
  local env=(-x HPCMON_OUTPUT_DIR="$out/records" -x HPCMON_RUN_DIR="$out/run-dir")
  case $variant in
    base) env=() ;;
    part1) env+=(-x LD_PRELOAD="$part1") ;;
    nolive) env+=(-x LD_PRELOAD="$preload" -x HPCMON_MPI_LIVE=0) ;;
    live) env+=(-x LD_PRELOAD="$preload") ;;
    live_1s) env+=(-x LD_PRELOAD="$preload" -x HPCMON_GENERAL__SAMPLE_INTERVAL_S=1) ;;
    live_0.1s) env+=(-x LD_PRELOAD="$preload" -x HPCMON_GENERAL__SAMPLE_INTERVAL_S=0.1) ;;
    live_0.01s) env+=(-x LD_PRELOAD="$preload" -x HPCMON_GENERAL__SAMPLE_INTERVAL_S=0.01) ;;
  esac
  mpirun -np 2 --bind-to core "${env[@]}" "$@" >"$out/run.out" 2>"$out/run.err" ||
    { echo "mpi_live: $variant failed: $(head -c 300 "$out/run.err")" >&2; return 1; }
  awk -v v="$variant" -v l="$label" 'NF == 2 { print v, l, $1, $2 }' "$out/run.out" >>"$raw"
}

variants=(base nolive live)
[[ -n "$part1" ]] && variants=(base part1 nolive live)
for ((i = 1; i <= runs; i++)); do
  # Rotate the order, so slow drift of the VM does not favour one variant.
  n=${#variants[@]}
  for ((k = 0; k < n; k++)); do run "${variants[(i + k) % n]}" calls "$out/calls" "$calls"; done
done
for ((i = 1; i <= (runs + 1) / 2; i++)); do
  for v in live_1s live_0.1s live_0.01s; do run "$v" sampler "$out/sampler" "$seconds"; done
done

/usr/bin/python3 - "$raw" "$runs" "$calls" "$seconds" <<'PY'
import collections, statistics, sys
raw, runs, calls, seconds = sys.argv[1:5]
data = collections.defaultdict(list)
for line in open(raw):
    variant, label, key, value = line.split()
    data[(label, key, variant)].append(float(value))
med = lambda xs: statistics.median(xs) if xs else float("nan")
def iqr(xs):
    if len(xs) < 2: return "n/a"
    q = statistics.quantiles(xs, n=4)
    return f"{q[0]:.1f}-{q[2]:.1f}"
variants = [v for v in ("part1", "nolive", "live") if data[("calls", "send_proc_null", v)]]
print(f"Per call, 2 ranks, {runs} interleaved runs, {calls} calls per case; median ns, and added over no preload (median of paired differences, IQR)\n")
print("| case | without | " + " | ".join(variants) + " |")
print("|---|---|" + "---|" * len(variants))
for key in ["send_proc_null", "test_poll", "pingpong_0", "pingpong_8"]:
    b = data[("calls", key, "base")]
    cells = []
    for v in variants:
        p = data[("calls", key, v)]
        d = [y - x for x, y in zip(b, p)]
        cells.append(f"{med(p):.1f} (+{med(d):.1f}, {iqr(d)})")
    print(f"| {key} | {med(b):.1f} | " + " | ".join(cells) + " |")
print()
for r in (0, 1):
    k = f"private_dirty_kib_rank{r}"
    print(f"Private_Dirty rank {r} (KiB): without {med(data[('calls', k, 'base')]):.0f}, " +
          ", ".join(f"{v} {med(data[('calls', k, v)]):.0f}" for v in variants) + "  ")
print()
print(f"Sampling thread, 2 ranks, {seconds} s each, rank 0; median of {len(data[('sampler', 'elapsed_ns', 'live_1s')])} runs\n")
print("| interval | sampler CPU (ms) | share of one core | per sample (us) | whole rank CPU (ms) |")
print("|---|---|---|---|---|")
for v, interval in (("live_1s", 1.0), ("live_0.1s", 0.1), ("live_0.01s", 0.01)):
    s, e, p = data[("sampler", "sampler_cpu_ns", v)], data[("sampler", "elapsed_ns", v)], data[("sampler", "process_cpu_ns", v)]
    share = [a / b for a, b in zip(s, e)]
    samples = med(e) / 1e9 / interval + 1
    print(f"| {interval:g} s | {med(s) / 1e6:.3f} | {100 * med(share):.4f} % | {med(s) / 1e3 / samples:.1f} | {med(p) / 1e6:.0f} |")
PY
echo
echo "raw figures: $raw"
