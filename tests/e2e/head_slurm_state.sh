#!/usr/bin/env bash
# hpcmond (head mode) against the private Slurm: /api/v1/nodes equals `scontrol show node`, a drained
# node and a completing job show within two polling intervals, the daemon's RPCs are counted.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/head_lib.sh"
start_head ""
interval=0.5

node="$(scontrol -o show node | sed -nE 's/^NodeName=([^ ]+) .*/\1/p' | head -1)"
field() { scontrol -o show node "$node" | tr ' ' '\n' | sed -nE "s/^$1=//p" | head -1; }
nodes="$(api /api/v1/nodes)"
[[ "$(jget "$nodes" 'd["data"]["nodes"][0]["name"]')" == "$node" ]] || fail "node name: $nodes"
[[ "$(jget "$nodes" 'd["data"]["nodes"][0]["state"]')" == "$(field State)" ]] || fail "state differs: $nodes vs $(field State)"
[[ "$(jget "$nodes" 'd["data"]["nodes"][0]["cpus"]')" == "$(field CPUTot)" ]] || fail "cpus differ"
[[ "$(jget "$nodes" 'd["data"]["nodes"][0]["real_memory_mb"]')" == "$(field RealMemory)" ]] || fail "memory differs"
[[ "$(jget "$nodes" 'd["data"]["cluster"]')" == "hpcmontest" ]] || fail "cluster: $nodes"

# seen_within SECONDS PYTHON_CONDITION PATH: the condition on the API answer holds in time.
seen_within() {
  local deadline; deadline="$("$python" -c "import time; print(time.time()+$1)")"
  while "$python" -c "import time,sys; sys.exit(time.time() > $deadline)"; do
    out="$(api "$3")"
    [[ "$(jget "$out" "$2")" == "True" ]] && return 0
    sleep 0.05
  done
  return 1
}

trap 'scontrol update nodename="$node" state=resume >/dev/null 2>&1 || true; kill "$head_pid" 2>/dev/null || true' EXIT
scontrol update nodename="$node" state=drain reason=hpcmon-e2e
seen_within "$(echo "2*$interval + 0.3" | bc)" '"DRAIN" in d["data"]["nodes"][0]["state"] and d["data"]["nodes"][0]["reason"] == "hpcmon-e2e"' /api/v1/nodes \
  || fail "drain not seen within two polling intervals: $out"
scontrol update nodename="$node" state=resume
seen_within "$(echo "2*$interval + 0.3" | bc)" '"DRAIN" not in d["data"]["nodes"][0]["state"]' /api/v1/nodes \
  || fail "resume not seen: $out"

# A running job with its allocation, then its end.
job="$(sbatch --parsable -J head-e2e --wrap 'sleep 5')"
# Slurm first (it may take a scheduling pass), then the API within two polling intervals.
for _ in $(seq 300); do
  [[ "$(job_field "$job" JobState)" == RUNNING ]] && break
  sleep 0.1
done
[[ "$(job_field "$job" JobState)" == RUNNING ]] || fail "Slurm did not start job $job: $(scontrol -o show job "$job")"
seen_within "$(echo "2*$interval + 0.3" | bc)" "any(j['job'] == '$job' and j['state'] == 'running' for j in d['data']['jobs'])" /api/v1/jobs \
  || fail "job $job not running in the API: $out"
one="$(api "/api/v1/jobs/$job")"
[[ "$(jget "$one" 'd["data"]["node_list"]')" == "$(job_field "$job" NodeList)" ]] || fail "node list differs: $one"
[[ "$(jget "$one" 'd["data"]["cpus"]')" == "$(job_field "$job" NumCPUs)" ]] || fail "cpus differ: $one"
[[ "$(jget "$one" 'd["data"]["user"]')" == "$(id -un)" ]] || fail "user differs: $one"
[[ "$(jget "$one" 'd["data"]["partition"]')" == "$(job_field "$job" Partition)" ]] || fail "partition differs: $one"
# Wait for Slurm to say the job left RUNNING, then the API must follow within two intervals.
for _ in $(seq 200); do
  state="$(job_field "$job" JobState)"
  [[ "$state" != RUNNING && "$state" != PENDING ]] && break
  sleep 0.05
done
seen_within "$(echo "2*$interval + 0.3" | bc)" "not any(j['job'] == '$job' and j['state'] == 'running' for j in d['data']['jobs'])" /api/v1/jobs \
  || fail "job $job still running in the API after Slurm says $state: $out"

# The daemon's own RPC count: three loads per poll at most, a handful of polls.
rpcs="$(api /metrics | sed -nE 's/^hpcmon_slurm_rpcs_total\{cluster="hpcmontest"\} ([0-9]+)$/\1/p')"
[[ -n "$rpcs" && "$rpcs" -gt 3 ]] || fail "hpcmon_slurm_rpcs_total missing or too small: $rpcs"
uptime="$(jget "$(api /api/v1/health)" 'd["data"]["uptime_s"]')"
max="$("$python" -c "print(int(3 * ($uptime / $interval + 2) + 1))")"
((rpcs <= max)) || fail "$rpcs RPCs in ${uptime}s: more than one poll per interval (max $max)"
echo "PASS: nodes, drain, job and RPC count ($rpcs RPCs in ${uptime}s)"
