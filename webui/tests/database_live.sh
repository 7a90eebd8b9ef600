#!/usr/bin/env bash
# The Database page's history of a live database: hpcmond reads the `accounting` fixture's
# MariaDB with its own account every second (connections used against the maximum, per
# client) and follows slow-log text captured from slurmdbd (dbhealth/tests/data); the page
# (database_history_check.mjs in headless chromium) shows, over 15 minutes, the connections
# charts and the others drawn with exactly the points GET api/v1/metrics/history gives.
#   usage: database_live.sh HPCMOND DATA_DIR WORK
#   env:   HPCMON_ACCOUNTING_DIR, HPCMON_WEBUI_DIR, HPCMON_WEBUI_NPM, HPCMON_CHROMIUM
set -euo pipefail
head_bin="$1" data="$2" work="$3"
set -a; . "${HPCMON_ACCOUNTING_DIR:?}/accounting.env"; set +a
py=/usr/bin/python3
fail() { echo "FAIL: $*" >&2; [[ -f "$work/head.log" ]] && tail -20 "$work/head.log" >&2; exit 1; }
source "$(dirname "$0")/../../tests/e2e/head_standalone.sh"
jget() { $py -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }
[[ -x "${HPCMON_CHROMIUM:-/nonexistent}" && -d "${HPCMON_WEBUI_NPM:-/nonexistent}/node_modules/playwright-core" && -f "${HPCMON_WEBUI_DIR:-/nonexistent}/index.html" ]] ||
  fail "needs HPCMON_CHROMIUM, HPCMON_WEBUI_NPM (playwright-core) and an assembled HPCMON_WEBUI_DIR"
rm -rf "$work" && mkdir -p "$work/records"
head_pid=""
trap stop_head EXIT
cat "$data/job_write_path.log" "$data/sacct_steps.log" "$data/sacct_name.log" >"$work/slow.log"
write_head_config "$work" "  webui_dir: $HPCMON_WEBUI_DIR" "accounting_db:
  enabled: true
  host: 127.0.0.1
  port: $HPCMON_MARIADB_PORT
  user: $HPCMON_DB_USER
  password_file: $HPCMON_DB_PASSWORD_FILE
  database: $HPCMON_SLURM_ACCT_DB
  interval_s: 1
  slow_log: $work/slow.log
  slow_log_state: $work/slow.state
  full_scan_min_rows_examined: 10  # the captured log is of a 20-job database
  full_scan_examined_per_sent: 5"
launch_head "$head_bin" "$work"
url="$head_url"

# Three readings of the live server in history (a line needs two), the whole log read.
history_points() {
  jget "$(curl -s "$url/api/v1/metrics/history?metric=db.connections_used")" \
    'sum(len(s["points"]) for s in d.get("data", {}).get("series", []) if s["metric"] == "db.connections_used")' 2>/dev/null || echo 0
}
deadline=$((SECONDS + 40))
until (( $(history_points) >= 3 )); do
  ((SECONDS < deadline)) || fail "no three readings of db.connections_used in history: $(curl -s "$url/api/v1/db/connections" | head -c 300)"
  sleep 0.2
done
body=""
until [[ "$(jget "$body" 'd["data"]["slow_log"]["entries"]' 2>/dev/null)" == 53 ]]; do
  ((SECONDS < deadline)) || fail "the slow log was not read: $(head -c 300 <<<"$body")"
  sleep 0.2
  body="$(curl -s "$url/api/v1/db")"
done
[[ "$(jget "$body" 'd["data"]["connections"]["db_up"]')" == 1 ]] || fail "the database is not up for the daemon"
jget "$(curl -s "$url/api/v1/metrics/history?metric=db.client_connections")" \
  'sum(1 for s in d["data"]["series"] if s["metric"] == "db.client_connections" and s["points"])' | grep -qv '^0$' ||
  fail "no connections per client in history"
echo "ok: the daemon reads the live database and the captured slow log"

cat >"$work/expect.json" <<JSON
{"base": "$url/", "npm_dir": "$HPCMON_WEBUI_NPM", "chromium": "$HPCMON_CHROMIUM",
 "history_charts": ["db.connections_used+db.max_connections", "db.client_connections", "db.threads_running",
                    "db.fingerprint_p95_s", "db.slowlog_entries", "db.up"]}
JSON
node "$(dirname "$0")/database_history_check.mjs" "$work/expect.json" "$work/shots" || fail "browser check failed (screenshots in $work/shots)"
echo "PASS: the Database page's history charts are the API's; screenshots in $work/shots"
