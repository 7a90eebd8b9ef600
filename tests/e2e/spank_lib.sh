# Shared set-up of the spank_*.sh tests, sourced after lib.sh. The plugin comes from
# $HPCMON_SPANK_PLUGIN (tests/spank.cmake sets it).
plugin="${HPCMON_SPANK_PLUGIN:?HPCMON_SPANK_PLUGIN must name spank_hpcmon.so}"
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
slurmd_log="$cluster_dir/log/slurmd.log"
[[ -f "$plugin" ]] || fail "no plugin at $plugin"

# The test cluster sees the plugin only while a test runs: the empty plugstack comes back at
# exit, pass or fail, so that other tests find the cluster as they expect.
restore_plugstack() {
  local rc=$?
  if declare -F stop_agent >/dev/null; then stop_agent; fi  # agent_lib.sh's agent, even when set-up failed
  : >"$work/empty.plugstack"
  HPCMON_SLURM_PLUGSTACK="$work/empty.plugstack" bash "$repo/scripts/slurm-up.sh" "$cluster_dir" >/dev/null ||
    echo "WARNING: could not restore the empty plugstack" >&2
  exit $rc
}

# use_plugin ARG...: lists the plugin with these plugstack arguments and restarts slurmd
# (slurmd reads plugstack.conf only at its start).
use_plugin() {
  printf 'optional %s %s\n' "$plugin" "$*" >"$work/plugstack.conf"
  trap restore_plugstack EXIT
  HPCMON_SLURM_PLUGSTACK="$work/plugstack.conf" bash "$repo/scripts/slurm-up.sh" "$cluster_dir" >/dev/null ||
    fail "cluster did not come back with the plugin"
}

# The arguments every test starts from: everything inside the test's own folder.
test_args() { echo "record_dir=$records run_dir=$work/run agent_socket=$work/agent.sock preload=$preload"; }

# wait_job JOB: waits until the job (all its array tasks) left the queue; prints its final state.
wait_job() {
  local state
  for _ in $(seq 300); do
    [[ -z "$(squeue -h -j "$1" 2>/dev/null)" ]] && break
    sleep 0.1
  done
  state="$(scontrol -o show job "$1" | tr ' ' '\n' | sed -nE 's/^JobState=//p' | sort -u | tr '\n' ' ')"
  echo "${state% }"
}

# Lines slurmd logged since this test started.
log_mark="$(wc -l <"$slurmd_log" 2>/dev/null || echo 0)"
new_log() { tail -n +"$((log_mark + 1))" "$slurmd_log"; }

# An unprivileged job user, created when missing.
ensure_test_user() {
  id hpcmontest >/dev/null 2>&1 || useradd -M -s /bin/bash hpcmontest || fail "cannot create user hpcmontest"
}

records_found() { find "$@" -name '*.h5' 2>/dev/null | sort; }
