# The head daemon of the dbhealth tests that read only captured slow-log text (no database
# server): tests/e2e/head_standalone.sh's daemon with an accounting_db section on port 1.
# Sourced after head_standalone.sh; never starts a database.

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
