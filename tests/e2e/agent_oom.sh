#!/usr/bin/env bash
# A step over its memory limit (srun --mem=64M allocating 256 MiB) on a cluster that tracks
# memory with cgroups (slurm-up.sh HPCMON_SLURM_CGROUP=1: task/cgroup on the cgroup v1 memory
# controller): the kernel's OOM killer ends the task with SIGKILL, Slurm marks the job
# OUT_OF_MEMORY, and the agent (asking slurmctld why) flags the node partial "out of memory".
# Runs on a cluster of its own (tests/agent.cmake: folder and ports apart); skipped (77) where
# there is no cgroup v1 memory controller.
set -euo pipefail
export HPCMON_E2E_OWN_CLUSTER=1  # lib.sh stops it on any exit until the trap below
export HPCMON_SLURM_CGROUP=1  # lib.sh skips (77) without a writable cgroup v1 memory controller
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/spank_lib.sh"
source "$(dirname "$0")/agent_lib.sh"
start_agent
use_agent_plugin
trap 'rc=$?; stop_agent; bash "$repo/scripts/slurm-down.sh" "$cluster_dir" >/dev/null 2>&1; exit $rc' EXIT

rc=0
timeout 60 srun -n1 --mem=64M -J agent-oom "$python" -c 'x = bytearray(256 * 1024 * 1024)' \
  >"$work/stdout" 2>"$work/stderr" || rc=$?
[[ $rc -ne 0 ]] || fail "srun should fail when its task is killed for memory"
job="$(job_id_named agent-oom)"
for _ in $(seq 50); do [[ "$(job_field "$job" JobState)" == OUT_OF_MEMORY ]] && break; sleep 0.1; done
[[ "$(job_field "$job" JobState)" == OUT_OF_MEMORY ]] || fail "job $job state $(job_field "$job" JobState), expected OUT_OF_MEMORY"
partial="$(wait_partial "$job" 0)"
export_json "$partial" >"$work/partial.json"
"$python" - "$work/partial.json" <<'PY'
import json, sys
rec = json.load(open(sys.argv[1]))
j = rec["job"]
got = (j["partial"], j["partial_reason"], rec["allocation"]["memory_bytes"])
want = (True, "out of memory", 64 * 1024 * 1024)
assert got == want, f"FAIL: partial, reason, memory = {got}, expected {want}"
PY
echo "ok: agent out of memory"
