#!/usr/bin/env bash
# A real record: `srun --mpi=pmix` of heat1d with the preload writes the rank-0 record; the
# head daemon finds it, indexes it under the Slurm job id and attributes it to the file owner;
# its merge goes to the head's own folder and leaves rank 0's file byte for byte as written.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/head_lib.sh"
start_head ""

timeout 120 srun --mpi=pmix -n2 -J head-rec \
  --export=ALL,LD_PRELOAD="$preload",HPCMON_HPC__RECORD_DIR="$records" \
  "$heat1d" 100 >"$work/stdout" 2>"$work/stderr" || { cat "$work/stderr"; fail "srun failed"; }
job="$(job_id_named head-rec)"
for _ in $(seq 60); do
  out="$(api "/api/v1/jobs/$job.0")"
  [[ "$(jget "$out" 'd["status"]')" == success ]] && break
  sleep 0.1
done
[[ "$(jget "$out" 'd["status"]')" == success ]] || fail "job $job.0 not in the API: $out"
[[ "$(jget "$out" 'd["data"]["cluster"]')" == hpcmontest ]] || fail "cluster: $out"
[[ "$(jget "$out" 'd["data"]["user"]')" == "$(id -un)" ]] || fail "user: $out"
[[ "$(jget "$out" 'd["data"]["steps"][0]["summary"]["ranks"]')" == 2 ]] || fail "ranks: $out"
[[ "$(jget "$out" 'd["data"]["name"]')" == head-rec ]] || fail "name: $out"

# The same file given to another user is that user's record, whatever it says inside.
record="$(find "$records" -name "hpcmontest.$job.0.r0.0.h5")"
chown hpcmontest "$record"
rank0_sum="$(sha256sum <"$record")"
for _ in $(seq 60); do
  out="$(api "/api/v1/jobs/$job")"
  [[ "$(jget "$out" 'd["data"]["user"]')" == hpcmontest ]] && break
  sleep 0.1
done
[[ "$(jget "$out" 'd["data"]["user"]')" == hpcmontest ]] || fail "owner change not seen: $out"
# No node agent runs here: after the merge timeout (2 s) the daemon writes the canonical
# record, flagged with the missing node, into its own folder (head_lib.sh: canonical-records
# beside its history); the user's file is untouched.
for _ in $(seq 80); do
  out="$(api "/api/v1/jobs/$job.0")"
  [[ "$(jget "$out" 'd["data"]["steps"][0]["merge"]')" == merged ]] && break
  sleep 0.1
done
[[ "$(jget "$out" 'd["data"]["steps"][0]["merge"]')" == merged ]] || fail "not merged after the timeout: $out"
[[ "$(jget "$out" 'd["data"]["steps"][0]["nodes_missing"]')" == "['$(scontrol -o show node | sed -nE 's/^NodeName=([^ ]+) .*/\1/p' | head -1)']" ]] || fail "missing node not flagged: $out"
[[ "$(stat -c %U "$record")" == hpcmontest ]] || fail "rank 0's record now owned by $(stat -c %U "$record")"
[[ "$(sha256sum <"$record")" == "$rank0_sum" ]] || fail "rank 0's record was changed by the merge"
canonical="$work/canonical-records/${record#"$records"/}"
"$python" - "$canonical" "$record" <<'PY' || fail "canonical record content"
import sys, h5py
canonical, rank0 = (h5py.File(p, "r") for p in sys.argv[1:3])
reason = canonical.attrs["partial_reason"].decode()
assert canonical.attrs["partial"] == 1 and "missing node partials" in reason, f"not flagged: {reason!r}"
assert rank0.attrs["partial"] == 0, "rank 0's record flagged"
assert len(canonical["ranks"]) == len(rank0["ranks"]) == 2
assert list(canonical["ranks"]["rank"]) == list(rank0["ranks"]["rank"])
print("ok: canonical record flagged, rank 0's untouched")
PY
echo "PASS: real record of job $job indexed and merged"
