#!/usr/bin/env bash
# With the plugin and the agent, an MPI job's record (rank 0's part merged with the node
# partial, as the head and `hpcmon merge` do) holds the ranks, nodes, allocation and job
# metadata that `scontrol show job` gives for the job: once for `srun --mpi=pmix`, once for
# mpirun inside an `sbatch` script (whose ranks all see SLURM_PROCID=0). The jobs ask for an
# explicit allocation (memory per node or per CPU, time limit) so that every allocation field
# has a value to match: the agent asks slurmctld for memory and time limit, which SPANK 22.05
# does not give for a step that ends normally.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/spank_lib.sh"
source "$(dirname "$0")/agent_lib.sh"
start_agent
use_agent_plugin

# scontrol's view of a job for the check below, one `key=value` per line.
scontrol_fields() { scontrol -o show job "$1" | tr ' ' '\n' >"$work/scontrol.$1.txt"; echo "$work/scontrol.$1.txt"; }

# merged_record JOB STEP: rank 0's record and the node partial of the step, merged.
merged_record() {
  local partial mpi_record node
  partial="$(wait_partial "$1" "$2")"
  node="$(job_field "$1" NodeList)"
  mpi_record="${partial%."$node".part.h5}.h5"
  [[ -f "$mpi_record" ]] || fail "no rank-0 record beside the partial of $1.$2: $(records_found "$records")"
  "$hpcmon" merge "$work/merged.$1.h5" "$mpi_record" "$partial" >/dev/null || fail "hpcmon merge of $1.$2 failed"
  export_json "$work/merged.$1.h5" >"$work/merged.$1.json"
  echo "$work/merged.$1.json"
}

# check RECORD_JSON SCONTROL_FIELDS STEP: the record against scontrol, field by field.
check() {
  "$python" - "$1" "$2" "$3" "$(id -un)" <<'PY'
import json, re, sys
rec = json.load(open(sys.argv[1]))
sc = {}
for field in open(sys.argv[2]).read().split("\n"):
    key, _, value = field.partition("=")
    sc.setdefault(key, value)
step, user = sys.argv[3], sys.argv[4]
j, alloc = rec["job"], rec["allocation"]
failures = []
def same(what, got, want):
    if got != want:
        failures.append(f"FAIL: job {sc['JobId']}.{step}: {what} = {got!r}, scontrol says {want!r}")
def memory_bytes(text):  # scontrol's MinMemoryNode or MinMemoryCPU, e.g. 300M (no suffix: megabytes)
    m = re.fullmatch(r"(\d+)([KMGT]?)", text)
    return int(m.group(1)) * {"": 2**20, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40}[m.group(2)]
def node_memory_bytes():  # --mem: MinMemoryNode; --mem-per-cpu: MinMemoryCPU x the (one) node's CPUs
    if "MinMemoryNode" in sc:
        return memory_bytes(sc["MinMemoryNode"])
    return memory_bytes(sc["MinMemoryCPU"]) * int(sc["NumCPUs"])
def seconds(text):  # scontrol's TimeLimit, [days-]hours:minutes:seconds
    days, _, hms = text.rpartition("-")
    h, m, s = (int(x) for x in hms.split(":"))
    return ((int(days) if days else 0) * 24 + h) * 3600 + m * 60 + s
same("job", j["job"], sc["JobId"])
same("step", j["step"], step)
same("name", j["name"], sc["JobName"])
same("user", j["user"], re.sub(r"\(.*\)$", "", sc["UserId"]))
same("user (the job's submitter)", j["user"], user)
same("partition", j["partition"], sc["Partition"])
same("node_list", j["node_list"], sc["NodeList"])
same("nodes", j["nodes"], int(sc["NumNodes"]))
same("ranks", j["ranks"], int(sc["NumTasks"]))
same("rank rows", sorted(r["rank"] for r in rec["ranks"]), list(range(int(sc["NumTasks"]))))
same("node rows", [n["node"] for n in rec["nodes"]], [sc["NodeList"]])
same("allocation cores", alloc["cores"], int(sc["NumCPUs"]))
same("allocation memory_bytes", alloc["memory_bytes"], node_memory_bytes())
same("allocation time_limit_s", alloc["time_limit_s"], seconds(sc["TimeLimit"]))
if alloc["memory_bytes"] == 0 or alloc["time_limit_s"] == 0:
    failures.append(f"FAIL: job {sc['JobId']}.{step}: the test asks for memory and a time limit, scontrol shows none")
same("exit_status", j["exit_status"], int(sc["ExitCode"].split(":")[0]))
same("partial", j["partial"], False)
same("has_mpi", j["has_mpi"], True)
if failures:
    sys.exit("\n".join(failures))
print(f"ok: {sc['JobId']}.{step}: ranks {j['ranks']}, nodes {j['nodes']} ({j['node_list']}), "
      f"{alloc['cores']} cores, {alloc['memory_bytes']} B, {alloc['time_limit_s']} s, as scontrol says")
PY
}

# 1. srun --mpi=pmix, 2 tasks, 300 MiB per node, a 5-minute limit.
timeout 60 srun --mpi=pmix -n2 --mem=300M --time=5 -J agent-scontrol-srun "$heat1d" 200 >"$work/srun.out" 2>&1 ||
  { cat "$work/srun.out"; fail "srun failed"; }
grep -q "heat1d: 2 ranks, 200 steps" "$work/srun.out" || fail "program output: $(cat "$work/srun.out")"
job="$(job_id_named agent-scontrol-srun)"
check "$(merged_record "$job" 0)" "$(scontrol_fields "$job")" 0 || srun_failed=1

# 1b. srun --mpi=pmix with memory per CPU: per node, 150 MiB x the node's CPUs; a 3-minute limit.
timeout 60 srun --mpi=pmix -n2 --mem-per-cpu=150M --time=3 -J agent-scontrol-percpu "$heat1d" 200 \
  >"$work/percpu.out" 2>&1 || { cat "$work/percpu.out"; fail "srun --mem-per-cpu failed"; }
grep -q "heat1d: 2 ranks, 200 steps" "$work/percpu.out" || fail "program output: $(cat "$work/percpu.out")"
job="$(job_id_named agent-scontrol-percpu)"
check "$(merged_record "$job" 0)" "$(scontrol_fields "$job")" 0 || srun_failed=1

# 2. mpirun inside a batch script: step `batch`, run 0.
cat >"$work/job.sh" <<SH
#!/bin/bash
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OMPI_MCA_pml=ob1 OMPI_MCA_btl=self,vader
mpirun -np 2 "$heat1d" 200
SH
job="$(sbatch --parsable -n2 --mem=400M --time=7 -J agent-scontrol-batch -o "$work/batch.out" "$work/job.sh")"
state="$(wait_job "$job")"
[[ "$state" == COMPLETED ]] || { cat "$work/batch.out"; fail "batch job $job ended $state"; }
grep -q "heat1d: 2 ranks, 200 steps" "$work/batch.out" || fail "batch output: $(cat "$work/batch.out")"
check "$(merged_record "$job" batch)" "$(scontrol_fields "$job")" batch || fail "batch record differs from scontrol"
[[ -z "${srun_failed:-}" ]] || fail "srun record differs from scontrol"
echo "ok: agent records match scontrol"
