# Shared part of the head daemon's end-to-end tests: start hpcmond (head mode) on a free loopback
# port with a config written here, query it, stop it pass or fail.
# Needs: lib.sh sourced first; HPCMON_HEAD_BIN (the hpcmond program).
head_bin="${HPCMON_HEAD_BIN:?HPCMON_HEAD_BIN not set}"

free_port() { "$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_head EXTRA_API_YAML: writes $work/head.yaml and starts the daemon; sets $head_url and
# $head_agent_port (the agents' listener, for an agent's head_url).
start_head() {
  head_port="$(free_port)"
  head_agent_port="$(free_port)"
  cat >"$work/head.yaml" <<YAML
general:
  node_sample_interval_s: 0.5
hpc:
  record_dir: $records
api:
  port: $head_port
  agent_port: $head_agent_port
  record_scan_interval_s: 0.5
  slurm_poll_interval_s: 0.5
  merge_timeout_s: 2
  token_file: $work/api.token
  agent_token_file: $work/agent.token
$1
YAML
  # History and alert state of its own: the defaults are the system's, shared by every daemon.
  HPCMON_HISTORY__PATH="$work/history" HPCMON_ALERTING__STATE_FILE="$work/alerts.json" \
    "$head_bin" --config "$work/head.yaml" >"$work/head.log" 2>&1 &
  head_pid=$!
  trap 'kill "$head_pid" 2>/dev/null || true; wait "$head_pid" 2>/dev/null || true' EXIT
  head_url="http://127.0.0.1:$head_port"
  for _ in $(seq 100); do
    curl -sf "$head_url/api/v1/health" >/dev/null && return 0
    sleep 0.1
  done
  cat "$work/head.log" >&2
  fail "hpcmond did not answer on $head_url"
}

# write_tokens NAME: the head's token files, $work/agent.token and $work/api.token (mode 600),
# holding agent-token-for-NAME and human-token-for-NAME.
write_tokens() {
  (umask 077
   printf 'agent-token-for-%s\n' "$1" >"$work/agent.token"
   printf 'human-token-for-%s\n' "$1" >"$work/api.token")
}

# start_pushing_agent [YAML lines]: agent_lib.sh's node agent, pushing to this head with the
# token of write_tokens; the lines are further keys of its agent section.
start_pushing_agent() {
  start_agent "  head_url: http://127.0.0.1:$head_agent_port
  token_file: $work/agent.token
$*"
}

# api PATH [curl args...]: the body of a GET.
api() { local path="$1"; shift; curl -s "$@" "$head_url$path"; }

# jq-like field access through python: jget JSON EXPRESSION (d is the parsed document).
jget() { "$python" -c 'import json,sys; d=json.loads(sys.argv[1]); print(eval(sys.argv[2]))' "$1" "$2"; }

# The scheduler statistics of the head (GET /api/v1/scheduler), for the sched_*.sh tests.
# sched EXPRESSION: evaluated on the document (d).
sched() { jget "$(api /api/v1/scheduler)" "$1"; }

# wait_sched_reads N: N more reads of the statistics than now (each read wholly after this moment).
wait_sched_reads() {
  local target=$(( $(sched 'd.get("data", {}).get("collections", 0)') + $1 ))
  for _ in $(seq 200); do
    (( $(sched 'd.get("data", {}).get("collections", 0)') >= target )) && return 0
    sleep 0.05
  done
  fail "the daemon did not read the statistics $1 more times: $(api /api/v1/scheduler)"
}

# sched_rpc_count DAEMON RPC: the API's count of RPC at DAEMON (slurmctld, slurmdbd); 0 when absent.
sched_rpc_count() { sched "next((t['count'] for t in d['data']['$1']['rpc_types'] if t['rpc'] == '$2'), 0)"; }

# sched_rpc_metric DAEMON RPC: the same counter on /metrics; 0 when absent.
sched_rpc_metric() {
  local line
  line="$(curl -s "$head_url/metrics" | grep "^hpcmon_scheduler_rpcs_total{.*daemon=\"$1\",rpc=\"$2\"" || true)"
  echo "${line##* }" | sed 's/^$/0/'
}

# wait_alerts QUERY TOTAL [TRIES] [WHILE_PID]: polls GET /api/v1/alerts?QUERY every 0.1 s, at
# most TRIES times (100), until its total is TOTAL; stops early once WHILE_PID has exited.
# Prints the last answer; fails (status 1) when the total was never reached.
wait_alerts() {
  local query="$1" want="$2" tries="${3:-100}" while_pid="${4:-}" answer=""
  for _ in $(seq "$tries"); do
    answer="$(api "/api/v1/alerts?$query")"
    [[ "$(jget "$answer" 'd["data"]["total"]')" == "$want" ]] && { echo "$answer"; return 0; }
    [[ -n "$while_pid" ]] && ! kill -0 "$while_pid" 2>/dev/null && break
    sleep 0.1
  done
  echo "$answer"
  return 1
}
