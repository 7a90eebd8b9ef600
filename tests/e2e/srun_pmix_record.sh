#!/usr/bin/env bash
# `srun --mpi=pmix` of an unmodified MPI program with the preload: the record appears under
# the Slurm key and path, its job metadata equals `scontrol show job`, and the MPI calls
# and traffic are exactly those of the program.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$@"

steps=200
timeout 120 srun --mpi=pmix -n2 -J e2e-srun \
  --export=ALL,LD_PRELOAD="$preload",HPCMON_HPC__RECORD_DIR="$records" \
  "$heat1d" "$steps" >"$work/stdout" 2>"$work/stderr" || { cat "$work/stderr"; fail "srun failed"; }
grep -q "heat1d: 2 ranks, $steps steps" "$work/stdout" || fail "program output changed: $(cat "$work/stdout")"

job="$(job_id_named e2e-srun)"
[[ -n "$job" ]] || fail "no job e2e-srun in slurmctld"
mapfile -t found < <(find "$records" -name '*.h5')
[[ ${#found[@]} -eq 1 ]] || fail "expected one record, found ${#found[@]}: ${found[*]}"
record="${found[0]}"
expected_name="hpcmontest.$job.0.r0.0.h5"
[[ "$(basename "$record")" == "$expected_name" ]] || fail "record named $(basename "$record"), expected $expected_name"
[[ "$record" == "$records/$(id -un)/"????/??/??/"$expected_name" ]] || fail "record at $record, not under <user>/<YYYY>/<MM>/<DD>"

export_json "$record" >"$work/record.json"
"$python" - "$work/record.json" "$steps" "$job" "$(job_field "$job" NumNodes)" "$(job_field "$job" NumTasks)" \
  "$(job_field "$job" NodeList)" "$(job_field "$job" Partition)" "$(id -un)" <<'PY'
import json, math, sys
rec = json.load(open(sys.argv[1]))
steps, job, nnodes, ntasks, nodelist, partition, user = int(sys.argv[2]), *sys.argv[3:]
j = rec["job"]
def same(what, got, want):
    if got != want:
        sys.exit(f"FAIL: {what} = {got!r}, expected {want!r}")
same("cluster", j["cluster"], "hpcmontest")
same("job", j["job"], job)
same("step", j["step"], "0")
same("run", j["run"], 0)
same("name", j["name"], "e2e-srun")
same("user", j["user"], user)
same("partition", j["partition"], partition)
same("node_list", j["node_list"], nodelist)
same("nodes", j["nodes"], int(nnodes))
same("ranks", j["ranks"], int(ntasks))
same("has_mpi", j["has_mpi"], True)
same("rank rows", sorted(r["rank"] for r in rec["ranks"]), [0, 1])
for r in rec["ranks"]:
    same(f"rank {r['rank']} node", r["node"], nodelist)
calls = {(m["rank"], m["function"]): m for m in rec["mpi"]}
for rank in (0, 1):
    same(f"rank {rank} MPI_Sendrecv calls", calls[(rank, "MPI_Sendrecv")]["calls"], 2 * steps)
    # one 8-byte send to the neighbour and one 8-byte receive from it per step; PROC_NULL sides count 0
    same(f"rank {rank} MPI_Sendrecv bytes", calls[(rank, "MPI_Sendrecv")]["bytes"], 16 * steps)
    same(f"rank {rank} MPI_Allreduce calls", calls[(rank, "MPI_Allreduce")]["calls"], math.ceil(steps / 10))
    same(f"rank {rank} MPI_Reduce bytes", calls[(rank, "MPI_Reduce")]["bytes"], 8)
traffic = {(t["src"], t["dst_world"], t["dst"]): (t["messages"], t["bytes"]) for t in rec["traffic"] if t["messages"]}
same("traffic", traffic, {(0, 0, 1): (steps, 8 * steps), (1, 0, 0): (steps, 8 * steps)})
print("ok: srun --mpi=pmix record", j["job"], j["step"])
PY
