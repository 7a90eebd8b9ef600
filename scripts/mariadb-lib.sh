# shellcheck shell=bash
# A private MariaDB server of a test or benchmark: its config and its start, in a folder of its
# own, listening on 127.0.0.1 only, root through that folder's unix socket only. Sourced, never
# run; never touches the system's server. The caller stops it (kill the pid, wait it out).

# private_mariadb_cnf ROOT PORT [EXTRA_LINES] [FILE]: writes FILE (ROOT/my.cnf) with data, socket,
# pid file and error log under ROOT/mysql; EXTRA_LINES are further [mariadbd] settings.
private_mariadb_cnf() {
  local root="$1" port="$2"
  cat >"${4:-$root/my.cnf}" <<CNF
[mariadbd]
user=mysql
datadir=$root/mysql/data
socket=$root/mysql/mysqld.sock
pid-file=$root/mysql/mysqld.pid
log-error=$root/mysql/error.log
bind-address=127.0.0.1
port=$port
skip-name-resolve
max_allowed_packet=16M
${3:-}
[client]
socket=$root/mysql/mysqld.sock
CNF
}

# start_private_mariadb ROOT: initialises ROOT/mysql/data (install log ROOT/install.log) and starts
# mariadbd on ROOT/my.cnf in a session of its own; sets mariadb_pid (mariadbd does not daemonize).
# Status 1 when the data folder cannot be made.
start_private_mariadb() {
  local root="$1"
  chmod 755 "$root"; mkdir -p "$root/mysql"; chown mysql:mysql "$root/mysql"   # mariadbd runs as mysql
  mariadb-install-db --no-defaults --user=mysql --datadir="$root/mysql/data" --auth-root-authentication-method=socket \
    --skip-test-db >"$root/install.log" 2>&1 || return 1
  setsid mariadbd --defaults-file="$root/my.cnf" </dev/null >"$root/stdout" 2>&1 &
  mariadb_pid=$!
}

# private_mariadb_sql ROOT SQL: SQL run as root through ROOT's socket, tab-separated, no headers.
private_mariadb_sql() { mariadb --defaults-file="$1/my.cnf" -u root -N -B -e "$2"; }

# wait_private_mariadb ROOT: until the server answers (30 s); status 1 when it never does.
wait_private_mariadb() {
  for _ in $(seq 600); do private_mariadb_sql "$1" "select 1" >/dev/null 2>&1 && return 0; sleep 0.05; done
  return 1
}

# stop_private_mariadb PID: SIGTERM to PID when it is a mariadbd, and waits (30 s) for it to end.
stop_private_mariadb() {
  [[ -n "$1" && "$(cat "/proc/$1/comm" 2>/dev/null)" == mariadbd ]] || return 0
  kill "$1"
  for _ in $(seq 300); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
}
