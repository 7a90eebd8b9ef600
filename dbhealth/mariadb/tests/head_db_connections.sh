#!/usr/bin/env bash
# The head daemon watching the accounting fixture's MariaDB with its own account:
# GET /api/v1/db/connections names slurmdbd's and its own connections, /metrics says
# hpcmon_db_up 1, history has db.up; a statement new to the server run 5 times is a fingerprint
# of GET /api/v1/db counted 5 from performance_schema alone (no slow log). Then a head pointed at an address where the database is
# away: one clear log line (no password), db_up 0, the rest of the API answering at once, and
# recovery once the database is reachable there (a socat relay to the real server).
#   usage: head_db_connections.sh HPCMOND WORKDIR        (env: HPCMON_ACCOUNTING_DIR)
set -uo pipefail
head_bin="$1" work="$2"
set -a; . "$HPCMON_ACCOUNTING_DIR/accounting.env"; set +a
python=/usr/bin/python3
rm -rf "$work" && mkdir -p "$work/records"
fail() { echo "FAIL: $*" >&2; for f in "$work"/head*.log; do echo "--- $f" >&2; tail -20 "$f" >&2; done; exit 1; }
free_port() { "$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
pids=()
trap 'for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null' EXIT

start_head() {  # start_head NAME DB_PORT: sets head_port (not in a subshell: its pid must reach `pids`)
  local name="$1" db_port="$2" port
  port="$(free_port)"
  cat >"$work/$name.yaml" <<YAML
hpc:
  record_dir: $work/records
history:
  path: $work/$name-history
api:
  port: $port
  agent_port: $(free_port)
accounting_db:
  enabled: true
  host: 127.0.0.1
  port: $db_port
  user: $HPCMON_DB_USER
  password_file: $HPCMON_DB_PASSWORD_FILE
  database: $HPCMON_SLURM_ACCT_DB
  interval_s: 1
  slow_log_state: $work/$name-slow.state
  top_fingerprints: 1000
YAML
  env -u SLURM_CONF HPCMON_ALERTING__STATE_FILE="$work/$name-alerts.json" "$head_bin" --config "$work/$name.yaml" \
    >"$work/$name.log" 2>&1 &
  pids+=($!)
  head_port="$port"
}
get() { curl -s --max-time 5 "http://127.0.0.1:$1$2"; }
# json_check PORT PATH PYTHON-EXPRESSION-ON-d: polls up to 20 s until the expression holds
json_check() {
  local out
  for _ in $(seq 200); do
    out="$(get "$1" "$2")"
    if "$python" -c "import json,sys; d=json.loads(sys.argv[1]); sys.exit(0 if ($3) else 1)" "$out" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "last answer of $2: $out" >&2
  return 1
}

# 1. The real server.
start_head head_up "$HPCMON_MARIADB_PORT"
up_port="$head_port"
json_check "$up_port" /api/v1/db/connections \
  'd["data"]["db_up"] == 1 and d["data"]["max_connections"] > 0 and d["data"]["connections_used"] >= 2
   and {"slurm@127.0.0.1", "hpcmon@127.0.0.1"} <= {c["client"] for c in d["data"]["clients"]}
   and d["data"]["sees_all_clients"] and d["data"]["missing_privileges"] == []' \
  || fail "connections of the real server"
metrics="$(get "$up_port" /metrics)"
grep -q '^hpcmon_db_up{cluster="[^"]*"} 1$' <<<"$metrics" || fail "/metrics lacks hpcmon_db_up 1"
grep -q '^hpcmon_db_client_connections{cluster="[^"]*",client="slurm@127.0.0.1"} [1-9]' <<<"$metrics" \
  || fail "/metrics lacks slurmdbd's connections"
json_check "$up_port" "/api/v1/metrics/history?metric=db.up" \
  'any(s["metric"] == "db.up" and len(s["points"]) >= 1 for s in d["data"]["series"])' || fail "history has no db.up"

# 1b. Digests without a slow log: a statement new to the server, run 5 times as slurmdbd sends it.
alias="hpcmon_head_probe_$$_$(date +%s)"
mariadb --defaults-file="$HPCMON_MARIADB_DEFAULTS_FILE" -u root -N -B "$HPCMON_SLURM_ACCT_DB" -e "
  SET SESSION sql_mode='ANSI_QUOTES,NO_ENGINE_SUBSTITUTION';
  $(for _ in 1 2 3 4 5; do echo "select t1.id_job as $alias from \"${HPCMON_SLURM_CLUSTER}_job_table\" as t1 where t1.id_job=-1;"; done)" \
  || fail "running the probe statement"
json_check "$up_port" /api/v1/db \
  "[(f['count'], f['sources']) for f in d['data']['fingerprints'] if '$alias' in f['fingerprint']] == [(5, ['performance_schema'])]
   and d['data']['slow_log'] is None" || fail "the probe statement is not counted 5 from its digest"

# 2. Nothing listens where the second head looks for its database.
relay_port="$(free_port)"
start_head head_down "$relay_port"
down_port="$head_port"
json_check "$down_port" /api/v1/db/connections \
  'd["data"]["db_up"] == 0 and d["data"]["failure"] == "unreachable"' || fail "db_up 0 when unreachable"
started=$(date +%s%N)
get "$down_port" /api/v1/health | grep -q '"status":"success"' || fail "the API does not answer while the DB is away"
took_ms=$(( ($(date +%s%N) - started) / 1000000 ))
(( took_ms < 3000 )) || fail "/api/v1/health took $took_ms ms while the DB was away"
grep -q '^hpcmon_db_up{cluster="[^"]*"} 0$' <<<"$(get "$down_port" /metrics)" || fail "/metrics lacks hpcmon_db_up 0"
sleep 2  # two more failed readings: still one line
[[ "$(grep -c 'accounting database unreachable' "$work/head_down.log")" == 1 ]] \
  || fail "expected exactly one 'unreachable' line"
grep -q "cannot connect to $HPCMON_DB_USER@127.0.0.1:$relay_port" "$work/head_down.log" || fail "the line does not name the address"
! grep -qF "$(cat "$HPCMON_DB_PASSWORD_FILE")" "$work"/head_*.log || fail "a log holds the password"

# 3. The database becomes reachable at that address.
socat "TCP-LISTEN:$relay_port,bind=127.0.0.1,reuseaddr,fork" "TCP:127.0.0.1:$HPCMON_MARIADB_PORT" &
pids+=($!)
json_check "$down_port" /api/v1/db/connections 'd["data"]["db_up"] == 1' || fail "no recovery"
grep -q "reachable again" "$work/head_down.log" || fail "no recovery line"
echo "ok"
