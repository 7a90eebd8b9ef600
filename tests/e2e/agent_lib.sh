# Shared set-up of the agent_*.sh tests, sourced after lib.sh and spank_lib.sh: a node agent
# (hpcmond --agent from $HPCMON_AGENT_BIN) on a socket and record directory inside the test's
# folder, the plugin pointed at it, both stopped and restored at exit, pass or fail.
agent_bin="${HPCMON_AGENT_BIN:?HPCMON_AGENT_BIN must name hpcmond}"
[[ -x "$agent_bin" ]] || fail "no agent at $agent_bin"
agent_dir="$work/agent"
agent_socket="$agent_dir/agent.sock"
agent_log="$work/agent.log"
agent_pid=""

# start_agent [YAML lines]: writes the agent's configuration and starts it in the background.
start_agent() {
  mkdir -p "$agent_dir" && chmod 755 "$work" "$agent_dir"
  cat >"$work/agent.yaml" <<YAML
general:
  sample_interval_s: 0.2
  node_sample_interval_s: 0.5
hpc:
  record_dir: $records
agent:
  socket: $agent_socket
  spool_dir: $work/spool
$*
YAML
  "$agent_bin" --agent --config "$work/agent.yaml" >>"$agent_log" 2>&1 &
  agent_pid=$!
  for _ in $(seq 50); do [[ -S "$agent_socket" ]] && break; sleep 0.1; done
  [[ -S "$agent_socket" ]] || { cat "$agent_log" >&2; fail "agent did not create $agent_socket"; }
}

stop_agent() {
  if [[ -n "$agent_pid" ]] && kill -0 "$agent_pid" 2>/dev/null; then
    kill -TERM "$agent_pid"
    wait "$agent_pid" 2>/dev/null || true
  fi
  agent_pid=""
}

# Exit trap: the agent stops, the empty plugstack comes back.
agent_cleanup() {
  local rc=$?
  set +e  # a trap under errexit would end at "(exit $rc)" and skip the rest of the clean-up
  stop_agent
  (exit $rc)
  restore_plugstack
}

# use_agent_plugin ARG...: the plugin with the test's arguments, its events going to our agent.
use_agent_plugin() {
  use_plugin "record_dir=$records run_dir=$work/run agent_socket=$agent_socket preload=$preload $*"
  trap agent_cleanup EXIT
}

# wait_partial JOB STEP: the path of the step's node partial, once the agent wrote it.
wait_partial() {
  local found
  for _ in $(seq 100); do
    found="$(find "$records" -name "hpcmontest.$1.$2.r0.0.*.part.h5" 2>/dev/null | head -1)"
    [[ -n "$found" ]] && { echo "$found"; return 0; }
    sleep 0.1
  done
  cat "$agent_log" >&2
  fail "no node partial for step $1.$2 under $records"
}
