#!/usr/bin/env bash
# dbhealth on the accounting cluster (fixture `accounting`): the slow log of the real MariaDB
# behind slurmdbd, pointed at a file of this test, read by the follower (hpcmon_dbhealth_analyze,
# one round per call, position kept in a state file as the head keeps it).
#  1. 20 batch jobs; `sacct -a -j <them>` (no -X) is an N+1 of the step query with count 20;
#     `sacct -a --name=<one of them>` is a full scan with a CREATE INDEX on job_name.
#  2. rotation (rename + FLUSH SLOW LOGS), truncation in place, a malformed entry and a
#     half-written one: clear messages, and the follower's total is exactly the entries written.
#   usage: live_slow_log.sh ANALYZE_PROGRAM   (HPCMON_ACCOUNTING_DIR set by ctest)
set -euo pipefail
analyze="${1:?usage: live_slow_log.sh ANALYZE_PROGRAM}"
: "${HPCMON_ACCOUNTING_DIR:?HPCMON_ACCOUNTING_DIR not set}"
# shellcheck disable=SC1091
source "$HPCMON_ACCOUNTING_DIR/env.sh"
py=/usr/bin/python3
cluster="$HPCMON_SLURM_CLUSTER"

root_sql() { mariadb --defaults-file="$HPCMON_MARIADB_DEFAULTS_FILE" -u root -N -B -e "$1"; }
fail() { echo "FAIL: $*" >&2; exit 1; }
headers() { local n=0 f; for f in "$@"; do n=$((n + $(grep -c '^# User@Host: ' "$f" || true))); done; echo "$n"; }
field() { $py -c "import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$1" "$2"; }
wait_until() {  # wait_until SECONDS DESCRIPTION COMMAND...
  local deadline=$((SECONDS + $1)) what="$2"; shift 2
  until "$@"; do ((SECONDS < deadline)) || fail "timed out waiting for $what"; sleep 0.1; done
}

work="$(mktemp -d /tmp/hpcmon-dbhealth-live.XXXXXX)"
chmod 755 "$work"; chown mysql:mysql "$work"  # MariaDB writes the slow log here
original="$(root_sql 'select @@global.slow_query_log_file')"
cleanup() { root_sql "SET GLOBAL slow_query_log_file='$original'" || true; rm -rf "$work"; }
trap cleanup EXIT
log="$work/slow.log"
state="$work/slow.state"
thresholds=(full_scan_min_rows_examined=10 full_scan_examined_per_sent=5 n_plus_one_min_count=10)
round() {  # round NAME: one follower round into $work/NAME.json, messages in $work/NAME.err
  "$analyze" "$log" --state "$state" "${thresholds[@]}" >"$work/$1.json" 2>"$work/$1.err" || fail "analyze $1: $(cat "$work/$1.err")"
}
marker_seen() { grep -q "hpcmon-marker-$1" "$log" 2>/dev/null; }
marker() { root_sql "select 'hpcmon-marker-$1'" >/dev/null; wait_until 30 "marker $1 in the slow log" marker_seen "$1"; }

root_sql "SET GLOBAL slow_query_log_file='$log'"

# --- 1. patterns of sacct over 20 jobs
name="hpcmon-dbhealth-$$"
ids=()
for i in $(seq 1 19); do ids+=("$(sbatch --parsable -o /dev/null --wrap true)"); done
ids+=("$(sbatch --parsable -o /dev/null -J "$name" --wrap true)")
list="$(IFS=,; echo "${ids[*]}")"
all_done() { [[ "$(sacct -a -X -n -P -j "$list" -o state | grep -c COMPLETED)" == 20 ]]; }
wait_until 120 "20 jobs completed in the accounting database" all_done
marker quiet
round start   # positions the follower at the end of what is there
sacct -a -j "$list" >/dev/null
sacct -a --name="$name" >/dev/null
marker sacct
round sacct

steps_fp="from \"${cluster}_step_table\" as t1 where t1.job_db_inx = ?"
n_plus_one="$(field "$work/sacct.json" "[f['count'] for f in d['findings'] if f['pattern']=='n_plus_one' and '''$steps_fp''' in f['fingerprint']]")"
[[ "$n_plus_one" == "[20]" ]] || fail "N+1 of the step query: expected [20], got $n_plus_one ($(field "$work/sacct.json" "[(f['pattern'],f['count'],f['fingerprint'][:80]) for f in d['findings']]"))"
index="$(field "$work/sacct.json" "[f['index']['statement'] for f in d['findings'] if f['pattern']=='full_scan' and '(t1.job_name = ?)' in f['fingerprint']]")"
expected_index="CREATE INDEX hpcmon_job_name_time_eligible ON \`${cluster}_job_table\` (job_name(64), time_eligible);"
[[ "$index" == "['$expected_index']" ]] || fail "full scan of sacct --name: expected $expected_index, got $index"
echo "ok: N+1 of the step query x20, sacct --name full scan -> $expected_index"

total() { field "$work/$1.json" "d['follower']['entries']"; }
[[ "$(total sacct)" == "$(headers "$log")" ]] || fail "entries $(total sacct) != headers $(headers "$log")"

# --- 2a. rotation: rename + FLUSH SLOW LOGS, with entries written before it not yet read
sacct -a -X -j "$list" >/dev/null
marker before-rotation
mv "$log" "$log.1"
root_sql "FLUSH SLOW LOGS"
wait_until 30 "a new slow log after FLUSH SLOW LOGS" test -e "$log"
sacct -a -X -j "$list" >/dev/null
marker after-rotation
round rotated
grep -q "rotated while the daemon was stopped; the rest of the old file was read" "$work/rotated.err" \
  || fail "no rotation message: $(cat "$work/rotated.err")"
[[ "$(total rotated)" == "$(headers "$log.1" "$log")" ]] || fail "after rotation: entries $(total rotated) != headers $(headers "$log.1" "$log")"
echo "ok: rotation, $(total rotated) entries = every entry of both files"

# --- 2b. truncation in place (MariaDB appends with O_APPEND: the next entries start at byte 0)
before="$(total rotated)"
truncate -s 0 "$log"
sacct -a -X -j "$list" >/dev/null
marker after-truncation
round truncated
grep -q "truncated or rewritten while the daemon was stopped; reading from its start" "$work/truncated.err" \
  || fail "no truncation message: $(cat "$work/truncated.err")"
[[ "$(total truncated)" == "$((before + $(headers "$log")))" ]] || fail "after truncation: entries $(total truncated) != $before + $(headers "$log")"
echo "ok: truncation in place, nothing ingested before it lost ($before + $(headers "$log"))"

# --- 2c. a malformed entry among real ones: named with file and byte offset, the rest kept
before="$(total truncated)"; in_file_before="$(headers "$log")"
offset="$(stat -c %s "$log")"
printf '# User@Host: hpcmon[hpcmon] @  [127.0.0.1]\n# Thread_id: 1  Schema: x  QC_hit: No\n# Query_time: abc  Lock_time: 0.000000  Rows_sent: 0  Rows_examined: 0\nSET timestamp=1;\nselect 1;\n' >>"$log"
sacct -a -X -j "$list" >/dev/null
marker after-malformed
round malformed
grep -qF "slow log $log: malformed entry at byte $offset: Query_time is not a number: \"abc\"; skipped" "$work/malformed.err" \
  || fail "no malformed-entry message at byte $offset: $(cat "$work/malformed.err")"
[[ "$(field "$work/malformed.json" "d['follower']['malformed']")" == 1 ]] || fail "malformed count"
[[ "$(total malformed)" == "$((before + $(headers "$log") - in_file_before - 1))" ]] || fail "after a malformed entry: entries $(total malformed)"
echo "ok: malformed entry at byte $offset skipped, the others kept"

# --- 2d. a half-written entry waits for its end, then counts once
before="$(total malformed)"; offset="$(stat -c %s "$log")"
printf '# User@Host: hpcmon[hpcmon] @  [127.0.0.1]\n# Thread_id: 1  Schema: x  QC_hit: No\n# Query_time: 0.000100  Lock_time: 0.000000  Rows_sent: 0  Rows_examined: 0\nSET timestamp=1;\nselect 2' >>"$log"
round half
[[ "$(total half)" == "$before" && "$(field "$work/half.json" "d['follower']['offset']")" == "$offset" ]] \
  || fail "a half-written entry was taken: $(total half) entries, offset $(field "$work/half.json" "d['follower']['offset']") (expected $before, $offset)"
printf ';\n' >>"$log"
round completed
[[ "$(total completed)" == "$((before + 1))" ]] || fail "the completed entry: $(total completed) entries, expected $((before + 1))"
echo "ok: a half-written entry waited, then counted once"
