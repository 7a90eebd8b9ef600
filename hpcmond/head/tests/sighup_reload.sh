#!/usr/bin/env bash
# SIGHUP on the real program: a bad new configuration is refused (one log line, old access
# mode kept, still serving); a good one switches the access mode without a restart.
#   usage: sighup_reload.sh HPCMOND_HEAD WORKDIR
set -euo pipefail
head_bin="$1" work="$2"
rm -rf "$work" && mkdir -p "$work/records"
fail() { echo "FAIL: $*" >&2; cat "$work/head.log" >&2 || true; exit 1; }
port="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
printf 'h-0123456789abcdef0123\n' >"$work/api.token" && chmod 600 "$work/api.token"
agent_port="$(/usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
write_config() {
  cat >"$work/head.yaml" <<YAML
hpc:
  record_dir: $work/records
api:
  port: $port
  token_file: $work/api.token
  access: $1
  agent_port: $agent_port
history:
  path: $work/history
YAML
}
write_config open
env -u SLURM_CONF HPCMON_ALERTING__STATE_FILE="$work/alerts.json" "$head_bin" --config "$work/head.yaml" >"$work/head.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
url="http://127.0.0.1:$port/api/v1/jobs"
for _ in $(seq 50); do curl -sf "$url" >/dev/null && break; sleep 0.1; done
[[ "$(curl -s -o /dev/null -w '%{http_code}' "$url")" == 200 ]] || fail "not serving"

write_config sometimes
kill -HUP $pid
for _ in $(seq 50); do grep -q "reload refused" "$work/head.log" && break; sleep 0.1; done
grep -q 'reload refused, running configuration kept: .*head.yaml:6:11: api.access: expected one of open, token, user; got "sometimes"' "$work/head.log" \
  || fail "no refusal line naming file, line and key"
[[ "$(curl -s -o /dev/null -w '%{http_code}' "$url")" == 200 ]] || fail "old configuration not kept"

write_config token
kill -HUP $pid
for _ in $(seq 50); do [[ "$(curl -s -o /dev/null -w '%{http_code}' "$url")" == 401 ]] && break; sleep 0.1; done
[[ "$(curl -s -o /dev/null -w '%{http_code}' "$url")" == 401 ]] || fail "token mode not applied after SIGHUP"
[[ "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer h-0123456789abcdef0123' "$url")" == 200 ]] \
  || fail "the token is not accepted"
grep -q "h-0123456789abcdef0123" "$work/head.log" && fail "the token appears in the log"
kill -0 $pid || fail "daemon died"
echo "PASS: SIGHUP reload"
