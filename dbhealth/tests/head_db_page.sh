#!/usr/bin/env bash
# The head daemon's slow-log collector and GET /api/v1/db on slow-log text captured from a real
# slurmdbd (data/): the N+1 of sacct without -X (the step query, 20 jobs), the full scan of
# sacct --name with its CREATE INDEX, entries appended later followed by the running daemon,
# and the dashboard's Database page showing the same (db_page_check.mjs in headless chromium).
#   usage: head_db_page.sh HPCMOND DATA_DIR CHECK_MJS
#   env:   HPCMON_WEBUI_DIR, HPCMON_WEBUI_NPM, HPCMON_CHROMIUM (the browser part)
set -euo pipefail
head_bin="${1:?usage: head_db_page.sh HPCMOND DATA_DIR CHECK_MJS}"
data="${2:?}"
check="${3:?}"
here="$(cd "$(dirname "$0")" && pwd)"
source "$here/../../tests/e2e/head_standalone.sh"
source "$here/slow_log_head.sh"   # py, fail, jget
slow_log_head_work dbhealth-head
cat "$data/job_write_path.log" "$data/sacct_steps.log" "$data/sacct_name.log" >"$work/slow.log"
slow_log_head_config "$work" "  webui_dir: ${HPCMON_WEBUI_DIR:-}" "  full_scan_min_rows_examined: 10  # a 20-job test database
  full_scan_examined_per_sent: 5"
launch_head "$head_bin" "$work"
url="$head_url"
db() { curl -s "$url/api/v1/db"; }
entries() { jget "$(db)" 'd.get("data", {}).get("slow_log", {}).get("entries", -1)' 2>/dev/null || echo -1; }
wait_entries() {
  local deadline=$((SECONDS + 30))
  until [[ "$(entries)" == "$1" ]]; do
    ((SECONDS < deadline)) || fail "the daemon did not read $1 slow-log entries: $(db | head -c 300)"
    sleep 0.1
  done
}
wait_entries 53  # 24 + 24 + 5 entries in the three captured pieces
body="$(db)"
steps='from "hpcmontest_step_table" as t1 where t1.job_db_inx = ?'
n1="$(jget "$body" "[f['count'] for f in d['data']['findings'] if f['pattern']=='n_plus_one' and '''$steps''' in f['fingerprint']]")"
[[ "$n1" == "[20]" ]] || fail "N+1 of the step query: expected [20], got $n1"
index='CREATE INDEX hpcmon_job_name_time_eligible ON `hpcmontest_job_table` (job_name(64), time_eligible);'
got="$(jget "$body" "[s['statement'] for s in d['data']['suggestions']]")"
[[ "$got" == "['$index']" ]] || fail "suggestions: expected [$index], got $got"
[[ "$(jget "$body" "d['data']['connections'] is not None")" == True ]] || fail "no connection health beside the slow log"
echo "ok: API: N+1 x20 of the step query, $index"

cat "$data/sacct_name.log" >>"$work/slow.log"  # the running daemon follows the log
wait_entries 58
grep -q "the slow log $work/slow.log" "$work/head.log" || fail "no start line in the daemon's log"
echo "ok: 5 entries appended later were read by the running daemon"

if [[ -n "${HPCMON_CHROMIUM:-}" && -x "${HPCMON_CHROMIUM:-/nonexistent}" && -d "${HPCMON_WEBUI_NPM:-/nonexistent}/node_modules/playwright-core" && -n "${HPCMON_WEBUI_DIR:-}" ]]; then
  body="$(db)"
  step_count="$(jget "$body" "[f['count'] for f in d['data']['fingerprints'] if '''$steps''' in f['fingerprint']][0]")"
  cat >"$work/expect.json" <<JSON
{"base": "$url/", "npm_dir": "$HPCMON_WEBUI_NPM", "chromium": "$HPCMON_CHROMIUM",
 "n_plus_one_count": 20, "suggestion": $($py -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$index"),
 "step_fingerprint": $($py -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$steps"), "step_count": $step_count, "entries": 58}
JSON
  node "$check" "$work/expect.json" "$work/shots"
else
  echo "FAIL: the browser part needs HPCMON_CHROMIUM, HPCMON_WEBUI_NPM (playwright-core) and HPCMON_WEBUI_DIR" >&2
  exit 1
fi
