#!/usr/bin/env bash
# The head's statement analysis survives SIGKILL, and its per-fingerprint series are bounded:
# hpcmond follows slow-log text captured from a real slurmdbd (data/), is killed with SIGKILL,
# the log grows while it is down (one statement not UTF-8), and the restarted daemon has every
# count it had plus the new entries, nothing counted twice (the N+1 burst of the step query stays 20). /metrics carries
# top_fingerprints (3) fingerprints by id plus fingerprint="other" whose executions sum to every
# entry; the history API has db.fingerprint_rate / time_rate / total_time_s for the same ids.
#   usage: head_restart_series.sh HPCMOND DATA_DIR
set -euo pipefail
head_bin="${1:?usage: head_restart_series.sh HPCMOND DATA_DIR}"
data="${2:?}"
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../tests/e2e/head_standalone.sh"
source "$here/slow_log_head.sh"   # py, fail, jget
slow_log_head_work dbhealth-restart
cat "$data/job_write_path.log" "$data/sacct_steps.log" >"$work/slow.log"   # 24 + 24 entries
slow_log_head_config "$work" "" "  top_fingerprints: 3"
url="$head_url"
start_head() { launch_head "$head_bin" "$work"; }
db() { curl -s "$url/api/v1/db"; }
entries() { jget "$(db)" 'd.get("data", {}).get("slow_log", {}).get("entries", -1)' 2>/dev/null || echo -1; }
wait_until() {  # wait_until WHAT COMMAND...: polls the command until it succeeds (30 s)
  local what="$1"; shift
  local deadline=$((SECONDS + 30))
  until "$@"; do
    ((SECONDS < deadline)) || fail "$what: $(db | head -c 300)"
    sleep 0.1
  done
}
entries_are() { [[ "$(entries)" == "$1" ]]; }
saved_are() { [[ "$(saved_entries)" == "$1" ]]; }
steps='from "hpcmontest_step_table" as t1 where t1.job_db_inx = ?'
n_plus_one() { jget "$(db)" "[f['count'] for f in d['data']['findings'] if f['pattern']=='n_plus_one' and '''$steps''' in f['fingerprint']]"; }
counts() { jget "$(db)" "sorted((f['id'], f['count']) for f in d['data']['fingerprints'])"; }
saved_entries() { $py -c 'import json,sys; print(json.load(open(sys.argv[1]))["analysis"]["entries"])' "$work/slow.state.analysis" 2>/dev/null || echo -1; }

start_head
wait_until "the daemon did not read 48 entries" entries_are 48
wait_until "the analysis was not saved with 48 entries" saved_are 48
[[ "$(n_plus_one)" == "[20]" ]] || fail "N+1 before the kill: $(n_plus_one)"
before="$(counts)"
kill -KILL "$head_pid"; wait "$head_pid" 2>/dev/null || true; head_pid=""
echo "ok: 48 entries ingested and saved, daemon killed (SIGKILL)"

cat "$data/sacct_name.log" >>"$work/slow.log"   # 5 entries written while the daemon is down
# ... and one whose job name is not UTF-8 (latin-1 e-acute): saved all the same.
printf '%s\n' "# User@Host: slurm[slurm] @ localhost [127.0.0.1]" "# Thread_id: 99  Schema: slurm_acct_db  QC_hit: No" \
  "# Query_time: 0.000100  Lock_time: 0.000000  Rows_sent: 0  Rows_examined: 0" "# Rows_affected: 0  Bytes_sent: 11" \
  "SET timestamp=1795842870;" >>"$work/slow.log"
printf 'select t1.id_job from "hpcmontest_job_table" as t1 where t1.job_name=\x27caf\xe9\x27;\n' >>"$work/slow.log"
start_head
wait_until "the restarted daemon did not reach 54 entries" entries_are 54
wait_until "the analysis with a non-UTF-8 statement was not saved" saved_are 54
grep -q "restored .* fingerprints (48 slow-log entries)" "$work/head.log" || fail "no restore line"
[[ "$(n_plus_one)" == "[20]" ]] || fail "N+1 after the restart: $(n_plus_one) (counted twice?)"
after="$(counts)"
$py - "$before" "$after" <<'PY' || fail "fingerprint counts changed across the restart: $before -> $after"
import ast, sys
before, after = dict(ast.literal_eval(sys.argv[1])), dict(ast.literal_eval(sys.argv[2]))
# sacct --name adds its own statements; the ones seen before keep their counts unless the new
# entries are of the same statement (COMMIT, the job SELECT): never less, never doubled.
for fid, n in before.items():
    if fid in after and not (n <= after[fid] <= n + 6): sys.exit(1)
PY
echo "ok: restarted: 54 entries (48 restored + 6 new, one not UTF-8), N+1 still 20, counts kept"

# /metrics: 3 fingerprints by id + other, executions summing to every entry, no SQL in labels.
wait_until "no fingerprint lines on /metrics" bash -c "curl -s $url/metrics | grep -q '^hpcmon_db_fingerprint_executions_total'"
metrics="$(curl -s "$url/metrics")"
$py - "$metrics" <<'PY' || fail "/metrics fingerprint families wrong: $(echo "$metrics" | grep hpcmon_db_fingerprint | head -20)"
import re, sys
lines = [l for l in sys.argv[1].splitlines() if l.startswith("hpcmon_db_fingerprint_executions_total{")]
labels = [re.search(r'fingerprint="([^"]*)"', l).group(1) for l in lines]
assert len(labels) == 4 and "other" in labels, labels
assert all(re.fullmatch(r"[0-9a-f]{16}", l) for l in labels if l != "other"), labels
total = sum(int(l.rsplit(" ", 1)[1]) for l in lines)
assert total == 54, total
for family in ("hpcmon_db_fingerprint_seconds_total", "hpcmon_db_fingerprint_rows_examined_total"):
    assert sum(1 for l in sys.argv[1].splitlines() if l.startswith(family + "{")) == 4, family
q = [l for l in sys.argv[1].splitlines() if l.startswith("hpcmon_db_fingerprint_latency_seconds{")]
assert len(q) == 9, q  # 3 quantiles of the 3 top fingerprints
PY
echo "ok: /metrics: 3 fingerprint ids + other, executions sum 54"

# History: the same bounded label set, rates and time over the last rounds.
hist() { curl -s "$url/api/v1/metrics/history?metric=db.fingerprint_"; }
has_rates() { jget "$(hist)" "len({s['labels'].get('fingerprint') for s in d['data']['series'] if s['metric']=='db.fingerprint_rate'}) >= 2" 2>/dev/null | grep -q True; }
wait_until "no db.fingerprint_rate series" has_rates
$py - "$(hist)" <<'PY' || fail "history series wrong: $(hist | head -c 600)"
import json, re, sys
d = json.loads(sys.argv[1])["data"]
by_metric = {}
for s in d["series"]:
    by_metric.setdefault(s["metric"], set()).add(s["labels"]["fingerprint"])
for metric in ("db.fingerprint_rate", "db.fingerprint_time_rate", "db.fingerprint_total_time_s"):
    ids = by_metric.get(metric, set())
    assert "other" in ids, (metric, ids)
    assert all(i == "other" or re.fullmatch(r"[0-9a-f]{16}", i) for i in ids), ids
assert "db.fingerprint_p95_s" in by_metric
# Bounded: the ids of the top 3 (they may change as totals grow: at most the fingerprints seen).
assert len(by_metric["db.fingerprint_total_time_s"]) <= 12, by_metric
PY
echo "ok: history: db.fingerprint_rate/time_rate/total_time_s by fingerprint id + other"
