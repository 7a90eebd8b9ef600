#!/usr/bin/env bash
# NodeDown from Slurm's own word: the node's agent keeps pushing to the head, yet once an
# administrator marks the node DOWN (scontrol update state=down reason=...) the head fires
# NodeDown with Slurm's reason; `state=resume` resolves it. Shared `slurm` fixture; the node is
# resumed at exit, pass or fail.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/agent_lib.sh"
source "$(dirname "$0")/head_lib.sh"
write_tokens node-down
node="$(sinfo -h -N -o %N | head -1)"
[[ -n "$node" ]] || fail "no node in sinfo"
start_head "alerting:
  evaluation_interval_s: 0.2
  node_down_intervals: 10
  disabled_builtins: [NodeCpuHigh, NodeMemoryHigh, NodeDiskFull, JobIdle, JobMemoryNearLimit, RecordMissing]"
# The agent pushes as the Slurm node (the fixture's NodeName is the short host name).
start_pushing_agent "  node_name: $node
  push_interval_s: 0.3"
marked=0
cleanup() {
  local rc=$?
  if ((marked)); then
    scontrol update nodename="$node" state=resume >/dev/null 2>&1 || true
    for _ in $(seq 100); do sinfo -h -n "$node" -o %t | grep -qE '^(idle|mix|alloc)$' && break; sleep 0.1; done
  fi
  kill "$head_pid" 2>/dev/null || true
  wait "$head_pid" 2>/dev/null || true
  stop_agent
  exit $rc
}
trap cleanup EXIT

heard() { api /api/v1/agents | "$python" -c 'import json,sys,time; d=json.load(sys.stdin)["data"]["agents"]; a=d.get(sys.argv[1]); sys.exit(0 if a and time.time_ns()-a["heard_ns"] < 2e9 else 1)' "$node"; }
for _ in $(seq 100); do heard && break; sleep 0.1; done
heard || fail "the head never heard the agent of $node"
for _ in $(seq 20); do sinfo -h -n "$node" -o %t | grep -qE '^(idle|mix|alloc)$' && break; sleep 0.1; done
down="$(api "/api/v1/alerts?alertname=NodeDown&state=active")"
[[ "$(jget "$down" 'd["data"]["total"]')" == 0 ]] || fail "NodeDown before Slurm said so: $down"

marked=1
scontrol update nodename="$node" state=down reason="hpcmon e2e: disk replaced"
down="$(wait_alerts "alertname=NodeDown&state=firing&node=$node" 1)" ||
  { cat "$work/head.log" >&2; fail "no NodeDown for $node: $down"; }
alert="$(jget "$down" 'json.dumps(d["data"]["alerts"][0])')"
[[ "$(jget "$alert" 'd["annotations"]["reason"]')" == "Slurm DOWN: hpcmon e2e: disk replaced" ]] || fail "reason: $alert"
[[ "$(jget "$alert" 'd["annotations"]["slurm_state"].startswith("DOWN")')" == True ]] || fail "slurm_state: $alert"
[[ "$(jget "$alert" 'd["severity"]')" == critical ]] || fail "severity: $alert"
[[ "$(jget "$alert" 'd["description"]')" == "node $node is down: Slurm DOWN: hpcmon e2e: disk replaced" ]] ||
  fail "description: $alert"
heard || fail "the agent stopped pushing: the alert must come from Slurm's state"

scontrol update nodename="$node" state=resume
firing="$(wait_alerts "alertname=NodeDown&state=firing&node=$node" 0)" || fail "NodeDown still firing after resume: $firing"
resolved="$(api "/api/v1/alerts?alertname=NodeDown&state=resolved&node=$node")"
[[ "$(jget "$resolved" 'd["data"]["total"]')" == 1 ]] || fail "NodeDown not resolved after resume: $resolved"
# One alert from DOWN to resolved (Slurm's NOT_RESPONDING while slurmd registers again is the same alert).
[[ "$(jget "$resolved" 'd["data"]["alerts"][0]["id"]')" == "$(jget "$alert" 'd["id"]')" ]] || fail "another alert resolved: $resolved"
echo "PASS: NodeDown from Slurm's DOWN state (agent still pushing), resolved on resume"
