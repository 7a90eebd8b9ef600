#!/usr/bin/env bash
# Accounting-database figures of dbhealth/mariadb (docs/benchmarks.md, "dbserver"):
#  1. one health reading (status, PROCESSLIST, top 20 digests) on a kept connection, median of 200;
#  2. `hpcmon db try-index --copy` copy rate (rows/s) of a 131,072-row job table, chunks of 10,000,
#     and the gain it measures for `job_name = ?` with a job_name index.
#   usage: bench/dbserver_bench.sh BUILD_DIR [DIR]
# DIR: an accounting cluster of scripts/slurm-accounting-up.sh (started, and stopped at the end,
# in a temporary folder when not given; ports HPCMON_MARIADB_PORT etc. as for that script).
set -euo pipefail
build="$(cd "${1:?usage: dbserver_bench.sh BUILD_DIR [DIR]}" && pwd)"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${2:-}"
if [[ -z "$dir" ]]; then
  dir="$(mktemp -d /tmp/hpcmon-dbbench-XXXXXX)"
  trap 'bash "$root/scripts/slurm-accounting-down.sh" "$dir" >/dev/null; rm -rf "$dir"' EXIT
fi
bash "$root/scripts/slurm-accounting-up.sh" "$dir" >/dev/null
set -a; . "$dir/accounting.env"; set +a
export SLURM_CONF="$dir/etc/slurm.conf"
root_sql() { mariadb --defaults-file="$HPCMON_MARIADB_DEFAULTS_FILE" -u root -N -B -e "$1"; }
table="${HPCMON_SLURM_CLUSTER}_job_table"

# A few real jobs so the digest table and PROCESSLIST have slurmdbd's statements.
for _ in 1 2 3; do srun -n1 true; done
sacct -a -X >/dev/null

echo "== health reading (read_status), 200 readings"
"$build/bin/hpcmon_dbserver_bench" "$HPCMON_MARIADB_HOST" "$HPCMON_MARIADB_PORT" "$HPCMON_DB_USER" \
  "$HPCMON_DB_PASSWORD_FILE" "$HPCMON_SLURM_ACCT_DB" 200

# A stand-in "live" schema of 131,072 job rows (the real rows doubled 2^k times), so the live
# slurm_acct_db of the cluster stays as slurmdbd wrote it.
src=hpcmon_dev_bench_live
root_sql "DROP DATABASE IF EXISTS $src; CREATE DATABASE $src; CREATE TABLE $src.\`$table\` LIKE $HPCMON_SLURM_ACCT_DB.\`$table\`;
          INSERT INTO $src.\`$table\` SELECT * FROM $HPCMON_SLURM_ACCT_DB.\`$table\`;
          GRANT SELECT ON $src.* TO '$HPCMON_DB_DEV_USER'@'127.0.0.1';"
cols="$(root_sql "SELECT GROUP_CONCAT(CONCAT('\`',COLUMN_NAME,'\`') ORDER BY ORDINAL_POSITION) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='$src' AND TABLE_NAME='$table' AND COLUMN_NAME<>'job_db_inx'")"
select="${cols/\`id_job\`/\`id_job\` + @shift}"
while (( $(root_sql "SELECT COUNT(*) FROM $src.\`$table\`") < 131072 )); do
  root_sql "SET @shift=(SELECT MAX(id_job) FROM $src.\`$table\`); INSERT INTO $src.\`$table\` ($cols) SELECT $select FROM $src.\`$table\`"
done
root_sql "UPDATE $src.\`$table\` SET job_name = CONCAT('sim_', job_db_inx % 3000)"
echo "== try-index copy of $(root_sql "SELECT COUNT(*) FROM $src.\`$table\`") rows"
"$build/bin/hpcmon" db try-index --port "$HPCMON_MARIADB_PORT" --password-file "$HPCMON_DB_PASSWORD_FILE" \
  --database "$src" --dev-port "$HPCMON_MARIADB_PORT" --dev-user "$HPCMON_DB_DEV_USER" \
  --dev-password-file "$HPCMON_DB_DEV_PASSWORD_FILE" --dev-schema slurm_acct_db_dev_bench --copy "$table" \
  --chunk-rows 10000 --index "CREATE INDEX try_job_name ON $table (job_name(64))" \
  --query "select t1.job_db_inx, t1.id_job from \"$table\" as t1 where t1.job_name='sim_42'" --runs 5
root_sql "DROP DATABASE $src; DROP DATABASE slurm_acct_db_dev_bench"
