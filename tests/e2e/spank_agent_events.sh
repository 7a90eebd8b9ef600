#!/usr/bin/env bash
# Step events on the agent socket (docs/agent-protocol.md): a listener bound where
# agent_socket= points receives exactly step_start, one task_start and task_exit per task,
# and step_end, one JSON object per line, with the fields and values of the protocol. The job
# is an unprivileged user's, and every connection still comes from root (SO_PEERCRED), which
# is all the agent accepts.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/spank_lib.sh"
ensure_test_user
mkdir -p "$work/pids" && chmod 1777 "$work/pids"
use_plugin "$(test_args)"

cat >"$work/listen.py" <<'PY'
import os, socket, struct, sys
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
s.bind(path)
os.chmod(path, 0o600)
s.listen(64)
open(out + ".ready", "w").close()
with open(out, "ab") as f:
    while True:
        c, _ = s.accept()
        uid = struct.unpack("3i", c.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, 12))[1]
        data = b""
        while chunk := c.recv(65536):
            data += chunk
        c.close()
        f.write(b"CONN uid=%d " % uid + data)  # one connection per line, as the protocol says
        f.flush()
PY
"$python" "$work/listen.py" "$work/agent.sock" "$work/events" &
listener=$!
trap 'kill $listener 2>/dev/null; restore_plugstack' EXIT
for _ in $(seq 50); do [[ -e "$work/events.ready" ]] && break; sleep 0.1; done

# The job's SLURM_CLUSTER_NAME is the user's: the record key's cluster comes from slurm.conf.
(cd /tmp && runuser -u hpcmontest -- env SLURM_CLUSTER_NAME=forged timeout 30 srun -n2 -J 'spank "ev"' \
  bash -c 'echo $$ >'"$work"'/pids/$SLURM_PROCID; exit 3') && fail "srun should fail with exit 3"
job="$(scontrol -o show job | sed -nE 's/^JobId=([0-9]+) .*JobName=spank "ev" .*/\1/p' | sort -n | tail -1)"
[[ -n "$job" ]] || fail "job not found"
for _ in $(seq 30); do grep -q step_end "$work/events" 2>/dev/null && break; sleep 0.1; done

"$python" - "$work/events" "$job" hpcmontest "$(id -u hpcmontest)" "$(id -g hpcmontest)" "$work" "$preload" "$(cat "$work/pids/0")" "$(cat "$work/pids/1")" "$(job_field "$job" NodeList)" <<'PY'
import json, sys
events, job, user, uid, gid, work, preload, pid0, pid1, node = sys.argv[1:]
raw = open(events, "rb").read().decode()
conns = [c for c in raw.split("CONN ") if c]
for c in conns:
    assert c.startswith("uid=0 "), f"FAIL: connection not from root: {c[:20]!r}"
    assert c.endswith("\n") and c.count("\n") == 1, f"FAIL: not one line per connection: {c!r}"
lines = [json.loads(c[len("uid=0 "):]) for c in conns]
mine = [l for l in lines if l["job_id"] == int(job)]
order = [(l["event"], l.get("task")) for l in mine]
tasks = sorted(order[1:3]), sorted(order[3:5])
assert order[0] == ("step_start", None) and order[-1] == ("step_end", None) and len(order) == 6, f"FAIL: {order}"
assert tasks == ([("task_start", 0), ("task_start", 1)], [("task_exit", 0), ("task_exit", 1)]), f"FAIL: {order}"
start = mine[0]
expected_keys = {"v", "event", "job_id", "step", "cluster", "job", "restart_count", "uid", "gid", "user", "node",
                 "start_ns", "ntasks", "local_tasks", "cpus", "mem_bytes", "time_limit_s", "job_name", "partition",
                 "account", "node_list", "argv", "run_dir", "monitor", "events"}
assert set(start) == expected_keys, f"FAIL: step_start keys {sorted(set(start) ^ expected_keys)}"
want = {"v": 1, "step": "0", "cluster": "hpcmontest", "job": job, "restart_count": 0, "uid": int(uid),
        "gid": int(gid), "user": user, "ntasks": 2, "local_tasks": 2, "mem_bytes": 0, "job_name": 'spank "ev"',
        "partition": "debug", "node": node, "node_list": node, "cpus": "0-1", "time_limit_s": 0,
        "run_dir": f"{work}/run/{job}", "monitor": "on",
        "argv": ["bash", "-c", f"echo $$ >{work}/pids/$SLURM_PROCID; exit 3"],
        "events": ["PAPI_TOT_CYC", "PAPI_TOT_INS", "perf::task-clock", "perf::context-switches", "perf::page-faults"]}
for k, v in want.items():
    assert start[k] == v, f"FAIL: step_start {k} = {start[k]!r}, expected {v!r}"
pids = {0: int(pid0), 1: int(pid1)}
for l in mine[1:5]:
    assert set(l) == {"v", "event", "job_id", "step", "task", "global_task", "pid"} | ({"status"} if l["event"] == "task_exit" else set()), l
    assert l["global_task"] == l["task"] and l["pid"] == pids[l["task"]], f"FAIL: {l} (task pids {pids})"
    if l["event"] == "task_exit":
        assert l["status"] == 3 << 8, f"FAIL: raw wait status {l['status']}"
end = mine[-1]
assert set(end) == {"v", "event", "job_id", "step", "end_ns", "exit_status"} and end["exit_status"] == 3, end
assert start["start_ns"] <= end["end_ns"], (start["start_ns"], end["end_ns"])
print("ok: six events for job", job)
PY

# A stuck agent (listening, never accepting) costs a step one 100 ms timeout, not one per
# event (six events would add >= 600 ms). Compared with steps run in the same minute with no
# agent at all (which fails at once), the fastest of three each, so machine load cancels out.
kill $listener
wait $listener 2>/dev/null || true
rm -f "$work/agent.sock"
fastest_step_ms() {
  local best=100000 t0 t
  for _ in 1 2 3; do
    t0=$(date +%s%N)
    timeout 30 srun -n2 true || fail "step failed ($1)"
    t=$(( ($(date +%s%N) - t0) / 1000000 ))
    (( t < best )) && best=$t
  done
  echo "$best"
}
no_agent_ms="$(fastest_step_ms "no agent")"
rm -f "$work/agent.sock.ready"
"$python" -c 'import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM); s.bind(sys.argv[1]); s.listen(0)
open(sys.argv[1] + ".ready", "w").close(); time.sleep(60)' "$work/agent.sock" &
listener=$!
for _ in $(seq 50); do [[ -e "$work/agent.sock.ready" ]] && break; sleep 0.1; done
timeout 30 srun -n2 true  # warm-up: the first connection fills the backlog
stuck_ms="$(fastest_step_ms "stuck agent")"
(( stuck_ms - no_agent_ms < 450 )) || fail "a stuck agent added $((stuck_ms - no_agent_ms)) ms to a step ($stuck_ms against $no_agent_ms)"
echo "ok: spank agent events (step: $no_agent_ms ms without an agent, $stuck_ms ms with a stuck one)"
