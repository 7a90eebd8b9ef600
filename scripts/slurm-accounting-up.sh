#!/usr/bin/env bash
# Starts the private Slurm test cluster of slurm-up.sh DIR WITH accounting: a private MariaDB
# (datadir DIR/mysql, 127.0.0.1 only) and slurmdbd, the cluster registered and the current user
# added. Idempotent: what already runs in DIR is left running.
#   usage: slurm-accounting-up.sh DIR        then: source DIR/env.sh
# Ports: HPCMON_MARIADB_PORT (default 23306), HPCMON_SLURMDBD_PORT (default 26819), and
#        HPCMON_SLURM_CTLD_PORT / HPCMON_SLURM_SLURMD_PORT as for slurm-up.sh.
# Writes DIR/env.sh (SLURM_CONF and the variables of DIR/accounting.env, exported) and
# DIR/accounting.env (KEY=VALUE lines: DB host/port/socket, slow log, account password files).
# The slow log keeps EVERY statement (long_query_time=0): a test setting, never a production one.
# MariaDB accounts: root (unix socket of DIR only), `slurm` (slurmdbd, ALL on slurm_acct_db),
# `hpcmon` (the monitor: PROCESS + SELECT on performance_schema, nothing on slurm_acct_db),
# `hpcmon_dev` (hpcmon db try-index: SELECT on slurm_acct_db, ALL on hpcmon_dev_% and
# slurm_acct_db_dev% schemas, the copies it makes).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
me=slurm-accounting-up
# shellcheck source=scripts/slurm-lib.sh
source "$here/slurm-lib.sh"
# shellcheck source=scripts/mariadb-lib.sh
source "$here/mariadb-lib.sh"
dir="$(cluster_dir "${1:?usage: slurm-accounting-up.sh DIR}")"
logs="$dir/log, $dir/mysql/error.log"  # named by wait_for when it times out
host="$(hostname -s)"
db_port="${HPCMON_MARIADB_PORT:-23306}"
dbd_port="${HPCMON_SLURMDBD_PORT:-26819}"
account="$(id -un)"

need_commands mariadbd mariadb mariadb-install-db slurmdbd sacctmgr

new_secret() { local s; s="$(head -c 96 /dev/urandom | base64 -w0 | tr -dc 'A-Za-z0-9')"; echo "${s:0:24}"; }

secret_file() {  # secret_file PATH: creates a 0600 file holding a random password once
  if [[ ! -s "$1" ]]; then
    (umask 077; new_secret >"$1.new"; mv "$1.new" "$1")
  fi
  chmod 600 "$1"
}

# 1. The Slurm cluster itself (munged, slurmctld, slurmd), as slurm-up.sh makes it, started
# while MariaDB initialises.
mkdir -p "$dir/mysql" "$dir/etc/db" "$dir/log" "$dir/run"
chmod 755 "$dir"
bash "$here/slurm-up.sh" "$dir" >/dev/null &
slurm_up=$!
chmod 700 "$dir/etc/db"
if ! runuser -u mysql -- test -x "$dir"; then
  echo "slurm-accounting-up: user mysql cannot enter $dir (a parent directory is not searchable)" >&2; exit 2
fi
chown mysql:mysql "$dir/mysql"

slurm_pass_file="$dir/etc/db/slurm.password"
hpcmon_pass_file="$dir/etc/db/hpcmon.password"
dev_pass_file="$dir/etc/db/hpcmon_dev.password"
for f in "$slurm_pass_file" "$hpcmon_pass_file" "$dev_pass_file"; do secret_file "$f"; done

# 2. MariaDB. Only /proc tells whether it runs: a stale pid file after a crash is ignored.
private_mariadb_cnf "$dir" "$db_port" "# 1024M silences slurmdbd's \"innodb_buffer_pool_size not recommended\"; reserved, not touched.
innodb_buffer_pool_size=1024M
innodb_log_file_size=64M
innodb_lock_wait_timeout=900
performance_schema=ON
# Slurm's job and step SELECTs are ~2.5 KB as digest text: the default 1024 cuts them inside the
# column list, and every sacct variant (--name, -s, a time window) becomes one digest.
max_digest_length=4096
performance_schema_max_digest_length=4096
# TEST setting: every statement in the slow log. Production uses a real threshold.
slow_query_log=1
slow_query_log_file=$dir/mysql/slow.log
long_query_time=0
log_queries_not_using_indexes=1
log_slow_verbosity=query_plan,explain" "$dir/etc/my.cnf.new"
mv "$dir/etc/my.cnf.new" "$dir/etc/my.cnf"
root_sql() { mariadb --defaults-file="$dir/etc/my.cnf" -u root "$@"; }

if ! alive "$dir/run/mariadbd.pid" mariadbd; then
  port_free "$db_port" HPCMON_MARIADB_PORT
  if [[ ! -d "$dir/mysql/data/mysql" ]]; then
    mariadb-install-db --no-defaults --user=mysql --datadir="$dir/mysql/data" \
      --auth-root-authentication-method=socket --skip-test-db >"$dir/log/mariadb-install-db.log" 2>&1 \
      || { echo "slurm-accounting-up: mariadb-install-db failed (see $dir/log/mariadb-install-db.log)" >&2; exit 1; }
  fi
  # mariadbd does not daemonize: its own pid is $!.
  setsid mariadbd --defaults-file="$dir/etc/my.cnf" </dev/null >"$dir/log/mariadbd.stdout" 2>&1 &
  echo $! >"$dir/run/mariadbd.pid"
fi
wait_for 60 "MariaDB on port $db_port" root_sql -e 'select 1'

# Accounts, every run (idempotent). Passwords come from the 0600 files, never from arguments.
slurm_pass="$(cat "$slurm_pass_file")"
hpcmon_pass="$(cat "$hpcmon_pass_file")"
dev_pass="$(cat "$dev_pass_file")"
root_sql <<EOF
CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1';
ALTER USER 'slurm'@'127.0.0.1' IDENTIFIED BY '$slurm_pass';
GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1';
-- The monitor: status and statistics only, at most 4 connections of its own.
CREATE USER IF NOT EXISTS 'hpcmon'@'127.0.0.1';
CREATE USER IF NOT EXISTS 'hpcmon'@'localhost';
ALTER USER 'hpcmon'@'127.0.0.1' IDENTIFIED BY '$hpcmon_pass' WITH MAX_USER_CONNECTIONS 4;
ALTER USER 'hpcmon'@'localhost' IDENTIFIED BY '$hpcmon_pass' WITH MAX_USER_CONNECTIONS 4;
GRANT PROCESS ON *.* TO 'hpcmon'@'127.0.0.1';
GRANT PROCESS ON *.* TO 'hpcmon'@'localhost';
GRANT SELECT ON performance_schema.* TO 'hpcmon'@'127.0.0.1';
GRANT SELECT ON performance_schema.* TO 'hpcmon'@'localhost';
-- try-index: reads the live schema (copy, EXPLAIN), writes only its own development schemas.
CREATE USER IF NOT EXISTS 'hpcmon_dev'@'127.0.0.1';
CREATE USER IF NOT EXISTS 'hpcmon_dev'@'localhost';
ALTER USER 'hpcmon_dev'@'127.0.0.1' IDENTIFIED BY '$dev_pass';
ALTER USER 'hpcmon_dev'@'localhost' IDENTIFIED BY '$dev_pass';
GRANT SELECT ON slurm_acct_db.* TO 'hpcmon_dev'@'127.0.0.1';
GRANT SELECT ON slurm_acct_db.* TO 'hpcmon_dev'@'localhost';
GRANT ALL ON \`hpcmon\_dev\_%\`.* TO 'hpcmon_dev'@'127.0.0.1';
GRANT ALL ON \`hpcmon\_dev\_%\`.* TO 'hpcmon_dev'@'localhost';
GRANT ALL ON \`slurm\_acct\_db\_dev%\`.* TO 'hpcmon_dev'@'127.0.0.1';
GRANT ALL ON \`slurm\_acct\_db\_dev%\`.* TO 'hpcmon_dev'@'localhost';
EOF

wait "$slurm_up" || { echo "slurm-accounting-up: slurm-up.sh failed" >&2; exit 1; }

# 3. slurmdbd. Its config sits next to slurm.conf (it looks there), root-owned, mode 600.
(umask 077; cat >"$dir/etc/slurmdbd.conf.new" <<EOF
AuthType=auth/munge
AuthInfo=socket=$dir/munge/munge.socket.2
DbdHost=$host
DbdAddr=127.0.0.1
DbdPort=$dbd_port
CommunicationParameters=NoInAddrAny
SlurmUser=root
DebugLevel=info
LogFile=$dir/log/slurmdbd.log
PidFile=$dir/run/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$db_port
StorageUser=slurm
StoragePass=$slurm_pass
StorageLoc=slurm_acct_db
EOF
)
mv "$dir/etc/slurmdbd.conf.new" "$dir/etc/slurmdbd.conf"
export SLURM_CONF="$dir/etc/slurm.conf"

# slurm.conf of slurm-up.sh, switched to slurmdbd. AccountingStoragePass names the private
# munge socket: AuthInfo is not used for the connections to slurmdbd.
sed -i -e "s|^AccountingStorageType=accounting_storage/none\$|AccountingStorageType=accounting_storage/slurmdbd\nAccountingStorageHost=127.0.0.1\nAccountingStoragePort=$dbd_port\nAccountingStoragePass=$dir/munge/munge.socket.2|" \
       -e 's|^JobAcctGatherType=jobacct_gather/none$|JobAcctGatherType=jobacct_gather/linux|' "$SLURM_CONF"

if ! alive "$dir/run/slurmdbd.pid" slurmdbd; then
  port_free "$dbd_port" HPCMON_SLURMDBD_PORT
  slurmdbd
fi
wait_for 30 "slurmdbd on port $dbd_port" sacctmgr -n show cluster

# slurm-up.sh started slurmctld and slurmd without accounting: restart both once (in parallel
# with registering the cluster, the account and the user).
restart=()
running_config="$(scontrol show config 2>/dev/null || true)"
if ! grep -q '^AccountingStorageType *= *accounting_storage/slurmdbd' <<<"$running_config"; then
  for entry in "slurmctld.pid slurmctld" "slurmd.pid slurmd"; do
    read -r file name <<<"$entry"
    if alive "$dir/run/$file" "$name"; then restart+=("$(cat "$dir/run/$file")"); fi
  done
  ((${#restart[@]})) && kill "${restart[@]}"
fi

cluster="$(sed -nE 's/^ClusterName=(.*)$/\1/p' "$SLURM_CONF")"
associations="$(sacctmgr -n -P show assoc where cluster="$cluster" user="$account" format=user 2>/dev/null || true)"
if ! grep -qx "$account" <<<"$associations"; then
  printf '%s\n' "Cluster - '$cluster'" "Parent - 'root'" \
    "Account - 'research':Description='research':Organization='hpc'" \
    "Parent - 'research'" "User - '$account':DefaultAccount='research'" >"$dir/etc/assoc.cfg"
  sacctmgr -i load file="$dir/etc/assoc.cfg" >"$dir/log/sacctmgr-load.log" 2>&1 \
    || { echo "slurm-accounting-up: sacctmgr load failed (see $dir/log/sacctmgr-load.log)" >&2; exit 1; }
fi

if ((${#restart[@]})); then
  wait_for 30 "slurmctld/slurmd to stop for the restart" bash -c "for p in ${restart[*]}; do [[ -d /proc/\$p ]] && exit 1; done; exit 0"
  slurmctld -f "$SLURM_CONF"
  wait_for 30 "slurmctld" bash -c 'scontrol ping | grep -q "is UP"'
  slurmd -f "$SLURM_CONF" -N "$host"
  wait_for 30 "the node to be idle" bash -c 'sinfo -h -o %t | grep -qE "^(idle|mix|alloc)$"'
fi

cat >"$dir/accounting.env" <<EOF
HPCMON_MARIADB_HOST=127.0.0.1
HPCMON_MARIADB_PORT=$db_port
HPCMON_MARIADB_SOCKET=$dir/mysql/mysqld.sock
HPCMON_MARIADB_DEFAULTS_FILE=$dir/etc/my.cnf
HPCMON_MARIADB_SLOW_LOG=$dir/mysql/slow.log
HPCMON_MARIADB_ERROR_LOG=$dir/mysql/error.log
HPCMON_SLURM_ACCT_DB=slurm_acct_db
HPCMON_SLURM_CLUSTER=$cluster
HPCMON_SLURMDBD_PORT=$dbd_port
HPCMON_SLURMDBD_CONF=$dir/etc/slurmdbd.conf
HPCMON_DB_USER=hpcmon
HPCMON_DB_PASSWORD_FILE=$hpcmon_pass_file
HPCMON_DB_DEV_USER=hpcmon_dev
HPCMON_DB_DEV_PASSWORD_FILE=$dev_pass_file
HPCMON_DB_SLURM_PASSWORD_FILE=$slurm_pass_file
EOF
cat >"$dir/env.sh" <<EOF
# Source this: every Slurm client needs SLURM_CONF, or it tries a DNS SRV lookup.
export SLURM_CONF=$dir/etc/slurm.conf
# The accounting database (root: mariadb --defaults-file=\$HPCMON_MARIADB_DEFAULTS_FILE -u root).
set -a; . $dir/accounting.env; set +a
EOF
echo "slurm-accounting-up: cluster with accounting up in $dir (source $dir/env.sh)"
