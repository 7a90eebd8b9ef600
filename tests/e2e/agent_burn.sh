#!/usr/bin/env bash
# A non-MPI step that burns CPU and holds memory, on the real Slurm with the plugin and the
# agent: the node partial appears under <user>/<YYYY>/<MM>/<DD>/<key>.<node>.part.h5 with the
# step's metadata, its exit status, process series whose values are what the task used (CPU
# at least 80 % of what it reports it burned, RSS at least what it allocated) and node series.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/spank_lib.sh"
source "$(dirname "$0")/agent_lib.sh"
start_agent
use_agent_plugin

cat >"$work/burn.py" <<'PY'
import resource, sys, time
block = bytearray(96 << 20)            # 96 MiB, touched page by page
for i in range(0, len(block), 4096):
    block[i] = 1
start = time.process_time()
x = 0
while time.process_time() - start < 1.5:
    x += 1
u = resource.getrusage(resource.RUSAGE_SELF)
print(f"cpu {u.ru_utime + u.ru_stime:.3f}")
sys.exit(4)
PY
rc=0
timeout 60 srun -n1 -J agent-burn "$python" "$work/burn.py" >"$work/stdout" 2>"$work/stderr" || rc=$?
[[ $rc -eq 4 ]] || { cat "$work/stderr"; fail "srun exit $rc, expected 4"; }
cpu="$(sed -nE 's/^cpu ([0-9.]+)$/\1/p' "$work/stdout")"
[[ -n "$cpu" ]] || fail "burn printed no CPU time: $(cat "$work/stdout")"
job="$(job_id_named agent-burn)"
node="$(job_field "$job" NodeList)"
partial="$(wait_partial "$job" 0)"
user="$(id -un)"
[[ "$partial" == "$records/$user/"????/??/??/"hpcmontest.$job.0.r0.0.$node.part.h5" ]] || fail "partial at $partial"
"$hpcmon" validate "$partial" >/dev/null || fail "hpcmon validate refuses $partial"
export_json "$partial" >"$work/partial.json"
"$python" - "$work/partial.json" "$job" "$node" "$user" "$cpu" "$(job_field "$job" Partition)" <<'PY'
import json, math, sys
rec = json.load(open(sys.argv[1]))
job, node, user, cpu, partition = sys.argv[2], sys.argv[3], sys.argv[4], float(sys.argv[5]), sys.argv[6]
j = rec["job"]
def same(what, got, want):
    if got != want:
        sys.exit(f"FAIL: {what} = {got!r}, expected {want!r}")
same("cluster", j["cluster"], "hpcmontest")
same("job", j["job"], job)
same("step", j["step"], "0")
same("name", j["name"], "agent-burn")
same("user", j["user"], user)
same("partition", j["partition"], partition)
same("exit_status", j["exit_status"], 4)
same("partial", j["partial"], False)
same("has_mpi", j["has_mpi"], False)
same("node rows", [n["node"] for n in rec["nodes"]], [node])
series = {(s["owner_kind"], s["owner"], s["metric"]): s for s in rec["series"]}
def values(key):
    if key not in series:
        sys.exit(f"FAIL: no series {key}; have {sorted(series)}")
    return [v for v in series[key]["values"] if v is not None and not (isinstance(v, float) and math.isnan(v))]
cpu_seen = max(values(("task", "0", "cpu_time")))
if cpu_seen < 0.8 * cpu or cpu_seen > cpu + 0.1:
    sys.exit(f"FAIL: task cpu_time {cpu_seen} s, the task burned {cpu} s")
rss = max(values(("task", "0", "rss")))
if rss < 96 * 2**20:
    sys.exit(f"FAIL: task rss {rss} B below the 96 MiB allocated")
same("cpu_time unit", series[("task", "0", "cpu_time")]["unit"], "s")
same("rss unit", series[("task", "0", "rss")]["unit"], "B")
for metric in ("read_bytes", "write_bytes"):
    values(("task", "0", metric))
for metric in ("cpu_util", "mem_used", "load1", "disk_read", "net_rx", "step_cpu_time", "step_rss"):
    if len(values(("node", node, metric))) < 2:
        sys.exit(f"FAIL: node series {metric} has fewer than 2 points")
print(f"ok: agent partial of job {job}: cpu {cpu_seen:.2f} of {cpu:.2f} s, rss {rss / 2**20:.0f} MiB")
PY
echo "ok: agent burn"
