#!/usr/bin/env bash
# `hpcmon db try-index` on the accounting fixture: a copy made with --copy gets the index and a
# JSON report (EXPLAIN before: full scan, after: the index); the live schema is refused with
# exit 8 and left as it was; an unreachable server is exit 7.
#   usage: cli_try_index.sh HPCMON_BIN        (env: HPCMON_ACCOUNTING_DIR)
set -uo pipefail
hpcmon="$1"
set -a; . "$HPCMON_ACCOUNTING_DIR/accounting.env"; set +a
python=/usr/bin/python3
fail() { echo "FAIL: $*" >&2; exit 1; }
root_sql() { mariadb --defaults-file="$HPCMON_MARIADB_DEFAULTS_FILE" -u root -N -B -e "$1"; }
table="${HPCMON_SLURM_CLUSTER}_job_table"
copy=slurm_acct_db_dev_clitest
trap 'root_sql "DROP DATABASE IF EXISTS $copy"' EXIT
live_indexes() { root_sql "SELECT INDEX_NAME, COLUMN_NAME FROM information_schema.STATISTICS WHERE TABLE_SCHEMA='$HPCMON_SLURM_ACCT_DB' AND TABLE_NAME='$table' ORDER BY 1, 2"; }
before="$(live_indexes)"
common=(--port "$HPCMON_MARIADB_PORT" --password-file "$HPCMON_DB_PASSWORD_FILE"
        --dev-port "$HPCMON_MARIADB_PORT" --dev-user "$HPCMON_DB_DEV_USER" --dev-password-file "$HPCMON_DB_DEV_PASSWORD_FILE"
        --index "CREATE INDEX cli_try_name ON $table (job_name(64))"
        --query "select t1.id_job from \"$table\" as t1 where t1.job_name='wrap'" --runs 3)

out="$("$hpcmon" db try-index "${common[@]}" --dev-schema "$copy" --copy "$table" --json)" || fail "try-index on a copy: exit $?"
"$python" - "$out" <<'PY' || fail "report: $out"
import json, sys
r = json.loads(sys.argv[1])
assert r["on_live_server"] is True, r
assert len(r["copies"]) == 1 and r["copies"][0]["rows"] >= 0, r["copies"]
assert r["before"]["explain"][0]["type"] == "ALL", r["before"]["explain"]
assert r["after"]["explain"][0]["key"] == "cli_try_name", r["after"]["explain"]
assert len(r["before"]["runs_s"]) == 3 and len(r["after"]["runs_s"]) == 3
assert r["index_kept"] is False
PY
[[ "$(root_sql "SELECT COUNT(*) FROM $copy.hpcmon_try_index_copy WHERE table_name='$table'")" == 1 ]] || fail "no marker row"

"$hpcmon" db try-index "${common[@]}" --dev-schema "$HPCMON_SLURM_ACCT_DB" 2>"$HPCMON_ACCOUNTING_DIR/cli-refused.err"
rc=$?
[[ $rc == 8 ]] || fail "the live schema: exit $rc, expected 8"
grep -q "refusing to touch the live accounting database" "$HPCMON_ACCOUNTING_DIR/cli-refused.err" || fail "refusal text: $(cat "$HPCMON_ACCOUNTING_DIR/cli-refused.err")"
[[ "$(live_indexes)" == "$before" ]] || fail "the live table's indexes changed"

"$hpcmon" db try-index --port "$HPCMON_MARIADB_PORT" --password-file "$HPCMON_DB_PASSWORD_FILE" --dev-port 1 \
  --dev-password-file "$HPCMON_DB_DEV_PASSWORD_FILE" --dev-schema "$copy" --index "CREATE INDEX i ON t (c)" \
  --query "select 1" 2>/dev/null
rc=$?
[[ $rc == 7 ]] || fail "unreachable development server: exit $rc, expected 7"
echo "ok"
