#!/usr/bin/env bash
# Checks a cluster started by slurm-accounting-up.sh DIR: a job reaches the accounting database,
# the slow log and performance_schema see slurmdbd's statements, and the monitor's account
# `hpcmon` reads status, every client's connections and digests but nothing of slurm_acct_db.
#   usage: slurm-accounting-check.sh DIR        exit 0 when every check passed
set -uo pipefail

dir="${1:?usage: slurm-accounting-check.sh DIR}"
dir="$(cd "$dir" && pwd)"
# shellcheck disable=SC1091
. "$dir/env.sh"
failures=0
check() {  # check DESCRIPTION COMMAND...
  local what="$1"; shift
  if "$@"; then echo "ok   $what"; else echo "FAIL $what"; failures=$((failures + 1)); fi
}
monitor_sql() {
  MYSQL_PWD="$(cat "$HPCMON_DB_PASSWORD_FILE")" mariadb --no-defaults -h "$HPCMON_MARIADB_HOST" \
    -P "$HPCMON_MARIADB_PORT" -u "$HPCMON_DB_USER" -N -B -e "$1"
}
root_sql() { mariadb --defaults-file="$HPCMON_MARIADB_DEFAULTS_FILE" -u root -N -B -e "$1"; }

job_in_db() {  # a job submitted now is COMPLETED in sacct within 20 s
  local id
  id="$(sbatch --parsable -o /dev/null --wrap true)" || return 1
  for _ in $(seq 200); do
    [[ "$(sacct -n -X -P -j "$id" -o state 2>/dev/null)" == COMPLETED ]] && return 0
    sleep 0.1
  done
  return 1
}
user_has_account() {
  sacctmgr -n -P show assoc where cluster="$HPCMON_SLURM_CLUSTER" user="$(id -un)" format=account | grep -qx research
}
password_files_private() {
  local f
  for f in "$HPCMON_DB_PASSWORD_FILE" "$HPCMON_DB_DEV_PASSWORD_FILE" "$HPCMON_DB_SLURM_PASSWORD_FILE" "$HPCMON_SLURMDBD_CONF"; do
    [[ "$(stat -c %a "$f")" == 600 ]] || { echo "  $f is not mode 600" >&2; return 1; }
  done
}
monitor_reads_status() { [[ "$(monitor_sql "SHOW GLOBAL STATUS LIKE 'Threads_connected'" | cut -f2)" -ge 1 ]]; }
monitor_sees_slurmdbd() {  # PROCESS privilege: other users' connections are listed
  [[ "$(monitor_sql "SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE USER='slurm'")" -ge 1 ]]
}
monitor_reads_digests() {
  [[ "$(monitor_sql "SELECT COUNT(*) FROM performance_schema.events_statements_summary_by_digest WHERE SCHEMA_NAME='$HPCMON_SLURM_ACCT_DB'")" -ge 1 ]]
}
monitor_denied_job_data() {
  local out
  out="$(monitor_sql "SELECT COUNT(*) FROM $HPCMON_SLURM_ACCT_DB.\`${HPCMON_SLURM_CLUSTER}_job_table\`" 2>&1)" && return 1
  grep -q 'denied' <<<"$out"
}
slow_log_has_slurmdbd() { grep -q "${HPCMON_SLURM_CLUSTER}_job_table" "$HPCMON_MARIADB_SLOW_LOG"; }
loopback_only() {  # every TCP listener of this cluster's daemons is on 127.0.0.1
  local pids pid bad=0
  pids="$(cat "$dir"/run/*.pid 2>/dev/null)"
  for pid in $pids; do
    if ss -ltnpH | grep "pid=$pid," | awk '{print $4}' | grep -qv '^127\.0\.0\.1:'; then bad=1; fi
  done
  ((bad == 0))
}
performance_schema_on() { [[ "$(root_sql 'SELECT @@performance_schema')" == 1 ]]; }

check "the current user has an association" user_has_account
check "a batch job is COMPLETED in sacct" job_in_db
check "password files and slurmdbd.conf are mode 600" password_files_private
check "performance_schema is on" performance_schema_on
check "hpcmon reads SHOW GLOBAL STATUS" monitor_reads_status
check "hpcmon sees slurmdbd's connections in PROCESSLIST" monitor_sees_slurmdbd
check "hpcmon reads statement digests" monitor_reads_digests
check "hpcmon is denied the job table" monitor_denied_job_data
check "the slow log holds slurmdbd's statements" slow_log_has_slurmdbd
check "daemons listen on 127.0.0.1 only" loopback_only
((failures == 0)) || { echo "$failures check(s) failed" >&2; exit 1; }
