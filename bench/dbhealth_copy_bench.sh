#!/usr/bin/env bash
# dbhealth benchmark: `hpcmon db try-index --copy` from a live server into ANOTHER development
# server (rows/s of the chunked READ COMMITTED copy) and the measured before/after of the
# `sacct --name` query there. The "live" side is a scratch schema hpcmon_dev_bench_src on the
# accounting cluster's MariaDB (its job table grown to ROWS rows; slurm_acct_db is only read);
# the other server is a private MariaDB this script starts on DEV_PORT and stops again.
#   usage: HPCMON_BUILD_DIR=<build> bash bench/dbhealth_copy_bench.sh ACCOUNTING_DIR [ROWS] [DEV_PORT]
#          (ACCOUNTING_DIR: a cluster of scripts/slurm-accounting-up.sh; defaults 200000, 23416)
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
build="${HPCMON_BUILD_DIR:-$here/build}"
acct="${1:?usage: dbhealth_copy_bench.sh ACCOUNTING_DIR [ROWS] [DEV_PORT]}"
rows="${2:-200000}"
dev_port="${3:-23416}"
hpcmon="$build/bin/hpcmon"
[[ -x "$hpcmon" ]] || { echo "build hpcmon first" >&2; exit 2; }
set -a; . "$acct/accounting.env"; set +a
live_sql() { mariadb --defaults-file="$HPCMON_MARIADB_DEFAULTS_FILE" -u root -N -B -e "$1"; }
table="${HPCMON_SLURM_CLUSTER}_job_table"
src=hpcmon_dev_bench_src
source "$here/scripts/mariadb-lib.sh"
dev="$(mktemp -d /tmp/hpcmon-copybench.XXXXXX)"; mariadb_pid=""
cleanup() {
  live_sql "DROP DATABASE IF EXISTS $src" || true
  stop_private_mariadb "$mariadb_pid"
  rm -rf "$dev"
}
trap cleanup EXIT
private_mariadb_cnf "$dev" "$dev_port" "innodb_buffer_pool_size=512M
innodb_log_file_size=128M
innodb_flush_log_at_trx_commit=2"
start_private_mariadb "$dev" || { echo "mariadb-install-db failed: $(tail -3 "$dev/install.log")" >&2; exit 1; }
dev_sql() { private_mariadb_sql "$dev" "$1"; }
wait_private_mariadb "$dev" || { echo "the development server did not start" >&2; exit 1; }
password="$(head -n1 "$HPCMON_DB_DEV_PASSWORD_FILE")"
dev_sql "CREATE USER '$HPCMON_DB_DEV_USER'@'127.0.0.1' IDENTIFIED BY '$password';
         GRANT ALL ON \`slurm\_acct\_db\_dev%\`.* TO '$HPCMON_DB_DEV_USER'@'127.0.0.1';"

# The source: the real job table, doubled (shifted job ids) to ROWS rows, 3,000 job names.
live_sql "CREATE DATABASE $src; CREATE TABLE $src.\`$table\` LIKE $HPCMON_SLURM_ACCT_DB.\`$table\`;
          INSERT INTO $src.\`$table\` SELECT * FROM $HPCMON_SLURM_ACCT_DB.\`$table\`"
cols="$(live_sql "SELECT GROUP_CONCAT(CONCAT('\`', COLUMN_NAME, '\`') ORDER BY ORDINAL_POSITION) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='$src' AND TABLE_NAME='$table' AND COLUMN_NAME <> 'job_db_inx'")"
select="${cols/\`id_job\`/\`id_job\` + @shift}"
while (( $(live_sql "SELECT COUNT(*) FROM $src.\`$table\`") < rows )); do
  live_sql "SET @shift = (SELECT MAX(id_job) FROM $src.\`$table\`); INSERT INTO $src.\`$table\` ($cols) SELECT $select FROM $src.\`$table\`"
done
live_sql "UPDATE $src.\`$table\` SET job_name = CONCAT('sim_', job_db_inx % 3000)"
echo "source: $(live_sql "SELECT COUNT(*) FROM $src.\`$table\`") rows of $table (uptime: $(uptime | sed 's/.*load/load/'))"
for run in 1 2 3; do
  out="$("$hpcmon" db try-index --port "$HPCMON_MARIADB_PORT" --password-file "$HPCMON_DB_PASSWORD_FILE" \
    --database "$src" --dev-port "$dev_port" --dev-user "$HPCMON_DB_DEV_USER" \
    --dev-password-file "$HPCMON_DB_DEV_PASSWORD_FILE" --dev-schema slurm_acct_db_dev_bench \
    --copy "$table" --chunk-rows 10000 --runs 5 \
    --index "CREATE INDEX bench_name ON $table (job_name(64))" \
    --query "select t1.job_db_inx, t1.id_job from \"$table\" as t1 where t1.job_name='sim_42'" --json)"
  /usr/bin/python3 - "$out" "$run" <<'PY'
import json, sys
r, run = json.loads(sys.argv[1]), sys.argv[2]
c = r["copies"][0]
print(f"run {run}: copied {c['rows']} rows in {c['chunks']} chunks, {c['seconds']:.2f} s ({c['rows_per_s']:.0f} rows/s); "
      f"query before {r['before']['median_s']*1e3:.2f} ms, after {r['after']['median_s']*1e3:.3f} ms, gain {r['gain']:.0f}x")
PY
done
