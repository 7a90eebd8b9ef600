#!/usr/bin/env bash
# Command-line behaviour of `hpcmon` on the fixture files: exit codes, one-line errors,
# report --json values, export and merge. Usage: cli_test.sh HPCMON FIXTURES_TOOL PYTHON CASE
set -euo pipefail
hpcmon=$1 fixtures=$2 python=$3 case=$4
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$fixtures" "$dir"

fail() { echo "FAIL: $*" >&2; exit 1; }

# expect_exit CODE ARGS...: runs hpcmon, checks the exit code and, on error, that stderr is one line.
expect_exit() {
  local want=$1; shift
  local got=0
  "$hpcmon" "$@" >"$dir/out" 2>"$dir/err" || got=$?
  [[ $got == "$want" ]] || fail "hpcmon $* exited $got, expected $want; stderr: $(cat "$dir/err")"
  if [[ $want != 0 && $want != 1 ]]; then
    [[ $(wc -l <"$dir/err") == 1 ]] || fail "hpcmon $* printed $(wc -l <"$dir/err") error lines: $(cat "$dir/err")"
    grep -q '^hpcmon: ' "$dir/err" || fail "error line lacks the hpcmon: prefix"
  fi
}

case $case in
exit_codes)
  for cmd in report validate "export --format json"; do
    expect_exit 0 $cmd "$dir/known.h5"
    expect_exit 0 $cmd "$dir/minor_other.h5"
    expect_exit 2 $cmd "$dir/does-not-exist.h5"
    expect_exit 2 $cmd "$dir/random.h5"
    expect_exit 3 $cmd "$dir/foreign.h5"
    expect_exit 4 $cmd "$dir/major2.h5"
    expect_exit 5 $cmd "$dir/truncated.h5"
  done
  grep -q 'record format 2.0 is not supported' "$dir/err" || true
  expect_exit 4 report "$dir/major2.h5"
  grep -q 'record format 2.0 is not supported' "$dir/err" || fail "major message: $(cat "$dir/err")"
  expect_exit 1
  expect_exit 1 report
  expect_exit 1 frobnicate "$dir/known.h5"
  expect_exit 1 export "$dir/known.h5" --format xml
  expect_exit 0 --help
  expect_exit 6 merge "$dir/random.h5/out.h5" "$dir/known.h5"
  expect_exit 0 validate "$dir/known.h5"
  grep -q 'valid hpcmon record, format 1.2, 4 ranks, 2 nodes, 12 MPI rows, 3 series' "$dir/out" || fail "validate: $(cat "$dir/out")"
  ;;
report_json)
  expect_exit 0 report --json "$dir/known.h5"
  "$python" - "$dir/out" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
def eq(got, want, what):
    if got != want:
        sys.exit(f"FAIL {what}: got {got!r}, want {want!r}")
j = r["job"]
eq(j["job"], "4242_7", "job"); eq(j["step"], "0", "step"); eq(j["cluster"], "testcluster", "cluster")
eq(j["name"], 'heat "1d", test', "name"); eq(j["user"], "alice", "user"); eq(j["ranks"], 4, "ranks")
eq(j["nodes"], 2, "nodes"); eq(j["exit_status"], 0, "exit status"); eq(j["partial"], False, "partial")
eq(j["start"], "2023-11-14T22:13:20.000000000Z", "start")
eq(r["allocation"], {"cores": 8, "memory_bytes": 16 << 30, "time_limit_s": 3600}, "allocation")
e = r["efficiency"]
eq(e["wall_s"], 10.0, "wall"); eq(e["cpu_used_s"], 34.0, "cpu used"); eq(e["cpu_available_s"], 80.0, "cpu avail")
eq(e["cpu_efficiency"], 0.425, "cpu eff"); eq(e["mem_hwm_bytes"], 10 << 30, "hwm"); eq(e["mem_efficiency"], 0.625, "mem eff")
eq(r["mpi"]["fraction"], 0.3, "mpi fraction")
top = r["mpi"]["top_functions"]
eq([f["function"] for f in top], ["MPI_Allreduce", "MPI_Send", "MPI_Recv"], "top order")
eq((top[0]["calls"], top[0]["bytes"], top[0]["total_s"], top[0]["errors"]), (40, 320, 6.0, 1), "allreduce")
eq((top[1]["calls"], top[1]["bytes"], top[1]["total_s"]), (400, 400 * 4096, 4.0), "send")
eq(r["imbalance"]["mpi_s"], 2.0, "mpi imbalance"); eq(r["imbalance"]["wall_s"], 1.0, "wall imbalance")
eq(r["counters"]["source"], "perf_event", "counter source")
eq(r["counters"]["note"], "papi: PAPI_TOT_CYC, PAPI_TOT_INS: no hardware PMU (no /sys/bus/event_source/devices/cpu)", "counter note")
eq([c["name"] for c in r["counters"]["stats"]], ["task_clock_ns", "page_faults"], "counters")
eq(r["counters"]["stats"][1]["mean"], 2500.0, "page faults mean")
eq(r["memory"]["hwm_bytes_max_rank"], float(4 << 30), "max rank hwm"); eq(r["memory"]["hwm_rank"], 3, "hwm rank")
eq(r["warnings"], ["load imbalance: mpi_s max/mean = 2.00 (rank 3)",
                   "low CPU efficiency: 42% of the allocated cores were used"], "warnings")
PY
  expect_exit 0 report "$dir/known.h5"
  grep -q '^MPI: 30.0% of the time in MPI$' "$dir/out" || fail "text report: $(cat "$dir/out")"
  grep -q 'MPI_Allreduce *40 *320 *6.000 *50.0' "$dir/out" || fail "text report top function"
  grep -q '^  note: papi: PAPI_TOT_CYC, PAPI_TOT_INS: no hardware PMU' "$dir/out" || fail "text report counter note"
  ;;
export)
  expect_exit 0 export "$dir/known.h5" --format csv
  [[ $(head -1 "$dir/out") == rank,node,pid,cpuset,numa_node,wall_s,user_cpu_s,sys_cpu_s,mpi_s,rss_hwm_bytes,clock_offset_ns,task_clock_ns,page_faults ]] || fail "csv header: $(head -1 "$dir/out")"
  [[ $(sed -n 5p "$dir/out") == 3,node02,1003,1,0,10,8,0.5,6,4294967296,150,8500000003,4000 ]] || fail "csv rank 3: $(sed -n 5p "$dir/out")"
  expect_exit 0 export "$dir/known.h5" --format csv --table mpi
  [[ $(wc -l <"$dir/out") == 13 ]] || fail "mpi csv rows"
  expect_exit 0 export "$dir/known.h5" --format csv --table series
  [[ $(wc -l <"$dir/out") == 16 ]] || fail "series csv rows"
  expect_exit 0 export "$dir/known.h5" --format json
  "$python" -c 'import json,sys; r=json.load(open(sys.argv[1])); assert r["job"]["name"]=="heat \"1d\", test"; assert len(r["mpi"])==12 and r["mpi"][0]["size_hist"][13]==100; assert r["traffic"][3]=={"src":3,"dst_world":0,"dst":0,"messages":100,"bytes":409600}, r["traffic"][3]' "$dir/out" || fail "json export"
  ;;
merge)
  expect_exit 0 merge "$dir/merged.h5" "$dir/part_a.h5" "$dir/part_b.h5"
  grep -q 'merged 2 parts, 6 ranks, 1 nodes, partial: missing ranks 6-7' "$dir/out" || fail "merge: $(cat "$dir/out")"
  expect_exit 0 validate "$dir/merged.h5"
  expect_exit 0 report --json "$dir/merged.h5"
  "$python" -c 'import json,sys; j=json.load(open(sys.argv[1]))["job"]; assert j["partial"] and j["partial_reason"]=="missing ranks 6-7", j' "$dir/out" || fail "merged report"
  # The merge stores its diagnosis (/diagnosis); report shows it, --reanalyse computes it again.
  "$python" -c 'import json,sys; d=json.load(open(sys.argv[1]))["diagnosis"]; assert d["origin"]=="stored in the record" and d["analysed"], d["origin"]' "$dir/out" || fail "merged report: stored diagnosis"
  "$python" -c 'import h5py,sys; f=h5py.File(sys.argv[1], "r"); assert "findings" in f["diagnosis"] and f["diagnosis"].attrs["analysed_ns"] > 0' "$dir/merged.h5" || fail "no /diagnosis group"
  expect_exit 0 report --reanalyse "$dir/merged.h5"
  grep -q '^Diagnosis (docs/diagnosis.md; re-analysed with the current thresholds)' "$dir/out" || fail "reanalyse: $(grep Diagnosis "$dir/out")"
  expect_exit 0 report "$dir/part_a.h5"
  grep -q '^Diagnosis (docs/diagnosis.md; computed now)' "$dir/out" || fail "part report: $(grep Diagnosis "$dir/out")"
  expect_exit 2 merge "$dir/m2.h5" "$dir/part_a.h5" "$dir/random.h5"
  [[ ! -e $dir/m2.h5 ]] || fail "a failed merge left an output file"
  ;;
escaping)
  expect_exit 0 report "$dir/hostile.h5"
  ! grep -q $'\x1b' "$dir/out" || fail "terminal escape reached the output"
  ! grep -q '^FAKE LINE' "$dir/out" || fail "a job name forged a line"
  grep -q 'evil\\x1b\[2J\\x0aFAKE LINE' "$dir/out" || fail "job name not shown escaped: $(head -1 "$dir/out")"
  expect_exit 0 report --json "$dir/hostile.h5"
  "$python" -c 'import json,sys; j=json.load(open(sys.argv[1]))["job"]; assert j["name"]=="evil\x1b[2J\nFAKE LINE", j["name"]' "$dir/out" || fail "json name"
  expect_exit 0 export "$dir/hostile.h5" --format csv
  [[ $(sed -n 2p "$dir/out" | cut -c1-12) == '0,"n1,""q"""' ]] || fail "csv quoting: $(sed -n 2p "$dir/out")"
  ;;
*) fail "unknown case $case" ;;
esac
echo "cli_test $case: ok"
