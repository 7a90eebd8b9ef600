#!/usr/bin/env bash
# `hpcmon db try-index --copy` from the live server of the accounting fixture into ANOTHER
# server: a second private MariaDB this test starts on a free port. The job table is copied in
# chunks under READ COMMITTED (live rows count = copied rows, several chunks), grown in the
# development server past 100,000 rows, and the index is measured there (before: full scan,
# after: the index, timings). The live server is never altered: the table's indexes and the
# server's schema list are the same afterwards.
#   usage: cli_try_index_other_server.sh HPCMON_BIN        (env: HPCMON_ACCOUNTING_DIR)
set -uo pipefail
hpcmon="$1"
set -a; . "$HPCMON_ACCOUNTING_DIR/accounting.env"; set +a
py=/usr/bin/python3
fail() { echo "FAIL: $*" >&2; [[ -f "${dev:-}/mysql/error.log" ]] && tail -5 "$dev/mysql/error.log" >&2; exit 1; }
live_sql() { mariadb --defaults-file="$HPCMON_MARIADB_DEFAULTS_FILE" -u root -N -B -e "$1"; }
table="${HPCMON_SLURM_CLUSTER}_job_table"
copy=slurm_acct_db_dev_other

source "$(dirname "$0")/../../../scripts/mariadb-lib.sh"
dev="$(mktemp -d /tmp/hpcmon-devdb.XXXXXX)"
mariadb_pid=""
cleanup() { stop_private_mariadb "$mariadb_pid"; rm -rf "$dev"; }
trap cleanup EXIT
port="$($py -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
private_mariadb_cnf "$dev" "$port" "innodb_buffer_pool_size=256M
innodb_log_file_size=64M
innodb_flush_log_at_trx_commit=2"
start_private_mariadb "$dev" || fail "mariadb-install-db: $(tail -3 "$dev/install.log")"
dev_sql() { private_mariadb_sql "$dev" "$1"; }
wait_private_mariadb "$dev" || fail "the development server did not start"
password="$(head -n1 "$HPCMON_DB_DEV_PASSWORD_FILE")"
dev_sql "CREATE USER '$HPCMON_DB_DEV_USER'@'127.0.0.1' IDENTIFIED BY '$password';
         GRANT ALL ON \`slurm\_acct\_db\_dev%\`.* TO '$HPCMON_DB_DEV_USER'@'127.0.0.1';" || fail "dev account"
echo "ok: development server on 127.0.0.1:$port"

# Real jobs in the live table (the fixture's Slurm), then the live state to compare with.
live_count() { live_sql "SELECT COUNT(*) FROM $HPCMON_SLURM_ACCT_DB.\`$table\`"; }
while (( $(live_count) < 3 )); do   # at least 3 rows: the copy takes several chunks
  n="$(live_count)"
  (. "$HPCMON_ACCOUNTING_DIR/env.sh"; timeout 60 srun -n1 true) || fail "srun"
  for _ in $(seq 300); do (( $(live_count) > n )) && break; sleep 0.1; done
done
live_state() {
  live_sql "SELECT INDEX_NAME, SEQ_IN_INDEX, COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA='$HPCMON_SLURM_ACCT_DB' AND TABLE_NAME='$table' ORDER BY 1, 2;
            SELECT COUNT(*) FROM information_schema.SCHEMATA WHERE SCHEMA_NAME LIKE 'slurm\_acct\_db\_dev\_other%';"
}
live_rows="$(live_sql "SELECT COUNT(*) FROM $HPCMON_SLURM_ACCT_DB.\`$table\`")"
before="$(live_state)"

common=(--port "$HPCMON_MARIADB_PORT" --password-file "$HPCMON_DB_PASSWORD_FILE"
        --dev-port "$port" --dev-user "$HPCMON_DB_DEV_USER" --dev-password-file "$HPCMON_DB_DEV_PASSWORD_FILE"
        --dev-schema "$copy" --index "CREATE INDEX other_try_name ON $table (job_name(64))"
        --query "select t1.job_db_inx, t1.id_job from \"$table\" as t1 where t1.job_name='sim_42'" --runs 3)
out="$("$hpcmon" db try-index "${common[@]}" --copy "$table" --chunk-rows 2 --json)" || fail "try-index --copy to another server: exit $?"
$py - "$out" "$live_rows" <<'PY' || fail "copy report: $out"
import json, sys
r, live_rows = json.loads(sys.argv[1]), int(sys.argv[2])
assert r["on_live_server"] is False, r
c = r["copies"][0]
assert c["rows"] == live_rows, (c, live_rows)
assert live_rows >= 3 and c["chunks"] == -(-live_rows // 2), c   # chunks of 2 rows
assert "hpcmon_dev@127.0.0.1:" in c["from"] and c["from"].endswith(" slurm_acct_db"), c
assert r["after"]["explain"][0]["key"] == "other_try_name", r["after"]
PY
[[ "$(dev_sql "SELECT copied_rows FROM $copy.hpcmon_try_index_copy WHERE table_name='$table'")" == "$live_rows" ]] || fail "marker row on the development server"
echo "ok: $live_rows live rows copied to the other server in chunks of 2"

# Past 100,000 rows in the development copy (doubling with shifted job ids), names over 3,000 values.
cols="$(dev_sql "SELECT GROUP_CONCAT(CONCAT('\`', COLUMN_NAME, '\`') ORDER BY ORDINAL_POSITION) FROM information_schema.COLUMNS WHERE TABLE_SCHEMA='$copy' AND TABLE_NAME='$table' AND COLUMN_NAME <> 'job_db_inx'")"
select="${cols/\`id_job\`/\`id_job\` + @shift}"
while (( $(dev_sql "SELECT COUNT(*) FROM $copy.\`$table\`") < 100000 )); do
  dev_sql "SET @shift = (SELECT MAX(id_job) FROM $copy.\`$table\`); INSERT INTO $copy.\`$table\` ($cols) SELECT $select FROM $copy.\`$table\`" || fail "growing the copy"
done
dev_sql "UPDATE $copy.\`$table\` SET job_name = CONCAT('sim_', job_db_inx % 3000)"
rows="$(dev_sql "SELECT COUNT(*) FROM $copy.\`$table\`")"
out="$("$hpcmon" db try-index "${common[@]}" --json)" || fail "try-index on the grown copy: exit $?"
$py - "$out" "$rows" <<'PY' || fail "measurement: $out"
import json, sys
r, rows = json.loads(sys.argv[1]), int(sys.argv[2])
assert rows >= 100000, rows
b, a = r["before"], r["after"]
assert b["explain"][0]["type"] == "ALL" and b["explain"][0]["rows"] >= 90000, b["explain"]
assert a["explain"][0]["key"] == "other_try_name", a["explain"]
assert b["rows_returned"] == a["rows_returned"] > 0, (b["rows_returned"], a["rows_returned"])
assert len(b["runs_s"]) == 3 and len(a["runs_s"]) == 3
assert a["median_s"] < b["median_s"], (a["median_s"], b["median_s"])
print(f"ok: {rows} rows: before {b['median_s']*1000:.2f} ms, after {a['median_s']*1000:.2f} ms, gain {r['gain']:.1f}x")
PY
[[ "$(live_state)" == "$before" ]] || fail "the live server changed: $(live_state)"
echo "ok: the live server's indexes and schemas are unchanged"
