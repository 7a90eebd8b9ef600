# A head daemon of a test's own, outside the Slurm fixture (dbhealth, webui, bench scripts):
# writes its config with records, ports, token files, history and alert state all under the
# test's folder, starts it, stops it. Needs only bash and /usr/bin/python3; never lib.sh.
# Must never touch the system's default history or alert state (shared by every daemon).

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# write_head_config WORK [API_LINES] [SECTIONS]: WORK/head.yaml; API_LINES are further keys of
# the api section (indented two spaces), SECTIONS further top-level sections. Sets head_port,
# head_agent_port and head_url.
write_head_config() {
  local work="$1"
  head_port="$(free_port)"
  head_agent_port="$(free_port)"
  head_url="http://127.0.0.1:$head_port"
  mkdir -p "$work/records"
  cat >"$work/head.yaml" <<YAML
hpc:
  record_dir: $work/records
api:
  port: $head_port
  agent_port: $head_agent_port
  token_file: $work/api.token
  agent_token_file: $work/agent.token
${2:-}
history:
  path: $work/history
alerting:
  state_file: $work/alerts.json
${3:-}
YAML
}

# launch_head HPCMOND WORK [PREFIX...]: starts HPCMOND on WORK/head.yaml (without SLURM_CONF,
# under the optional command PREFIX, e.g. taskset), output appended to WORK/head.log; sets head_pid.
launch_head() {
  local bin="$1" work="$2"; shift 2
  env -u SLURM_CONF "$@" "$bin" --config "$work/head.yaml" >>"$work/head.log" 2>&1 &
  head_pid=$!
}

# stop_head: SIGTERM to the daemon of launch_head and waits for it; nothing when none runs.
stop_head() {
  [[ -n "${head_pid:-}" ]] && { kill "$head_pid" 2>/dev/null || true; wait "$head_pid" 2>/dev/null || true; }
  head_pid=""
}

# wait_head_up [SECONDS]: until GET /api/v1/health answers (30 s); status 1 when it never does.
wait_head_up() {
  local deadline=$((SECONDS + ${1:-30}))
  until curl -sf "$head_url/api/v1/health" >/dev/null; do
    ((SECONDS < deadline)) || return 1
    kill -0 "$head_pid" 2>/dev/null || return 1
    sleep 0.1
  done
}
