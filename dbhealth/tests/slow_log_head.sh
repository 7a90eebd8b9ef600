# The head daemon of the dbhealth tests that read only captured slow-log text (no database
# server): tests/e2e/head_standalone.sh's daemon with an accounting_db section on port 1.
# Sourced after head_standalone.sh; never starts a database.

py=/usr/bin/python3
fail() { echo "FAIL: $*" >&2; [[ -f "${work:-}/head.log" ]] && tail -20 "$work/head.log" >&2; exit 1; }
# jq-like field access: jget JSON EXPRESSION (d is the parsed document).
jget() { $py -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }

# slow_log_head_work NAME: sets work, a fresh /tmp/hpcmon-NAME.* folder; the daemon is stopped and
# the folder removed when the test ends, pass or fail.
slow_log_head_work() {
  work="$(mktemp -d "/tmp/hpcmon-$1.XXXXXX")"
  head_pid=""
  trap 'stop_head; rm -rf "$work"' EXIT
}

# slow_log_head_config WORK [API_LINES] [DB_LINES]: WORK/head.yaml following WORK/slow.log every
# second (state in WORK/slow.state), a password file nobody reads; DB_LINES are further keys of
# accounting_db (indented two spaces).
slow_log_head_config() {
  local work="$1"
  (umask 077; echo unused >"$work/db.password")
  write_head_config "$work" "${2:-}" "accounting_db:
  enabled: true
  port: 1                          # no database server here: only the slow log is read
  password_file: $work/db.password
  interval_s: 1
  slow_log: $work/slow.log
  slow_log_state: $work/slow.state
${3:-}"
}
