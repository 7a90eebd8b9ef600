#!/usr/bin/env bash
# Per-user access with MUNGE: a user proves its uid with a credential and sees only its own
# jobs; another user's job is refused (403); no credential is 401; root sees all.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/head_lib.sh"
socket="$cluster_dir/munge/munge.socket.2"
[[ -S "$socket" ]] || fail "no munged socket at $socket"

# Two records made by real runs: one left to root, one given to hpcmontest.
for name in acc-root acc-user; do
  timeout 120 srun --mpi=pmix -n1 -J "$name" \
    --export=ALL,LD_PRELOAD="$preload",HPCMON_HPC__RECORD_DIR="$records" \
    "$heat1d" 10 >/dev/null 2>"$work/stderr" || { cat "$work/stderr"; fail "srun failed"; }
done
root_job="$(job_id_named acc-root)" user_job="$(job_id_named acc-user)"
chown hpcmontest "$(find "$records" -name "hpcmontest.$user_job.0.r0.0.h5")"

printf 'h-%s\n' "$(head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n')" >"$work/api.token"
chmod 600 "$work/api.token"
HPCMON_MUNGE_SOCKET="$socket" start_head "  access: user
  admin_group: hpcmon-e2e-no-such-group"
cred() { runuser -u "$1" -- munge -S "$socket" -n; }
for _ in $(seq 60); do
  all="$(api /api/v1/jobs -H "X-Munge-Credential: $(munge -S "$socket" -n)")"
  [[ "$(jget "$all" 'd["data"]["total"]')" == 2 ]] && break
  sleep 0.1
done
[[ "$(jget "$all" 'd["data"]["total"]')" == 2 ]] || fail "root should see both jobs: $all"

mine="$(api /api/v1/jobs -H "X-Munge-Credential: $(cred hpcmontest)")"
[[ "$(jget "$mine" '[j["job"] for j in d["data"]["jobs"]]')" == "['$user_job']" ]] || fail "hpcmontest sees: $mine"
# The `hpcmon` command sends the credential itself: the same answers, as the calling user.
cli="$(cd /tmp && runuser -u hpcmontest -- "$hpcmon" jobs --url "$head_url" --munge-socket "$socket" --json)" ||
  fail "hpcmon jobs as hpcmontest failed"
[[ "$(jget "$cli" '[j["job"] for j in d["jobs"]]')" == "['$user_job']" ]] || fail "hpcmon jobs as hpcmontest: $cli"
rc=0
(cd /tmp && runuser -u hpcmontest -- "$hpcmon" jobs "$root_job" --url "$head_url" --munge-socket "$socket") \
  >/dev/null 2>"$work/cli.err" || rc=$?
[[ $rc == 7 ]] && grep -q "HTTP 403" "$work/cli.err" || fail "hpcmon jobs of another user's job: exit $rc, $(cat "$work/cli.err")"
code="$(curl -s -o "$work/other" -w '%{http_code}' -H "X-Munge-Credential: $(cred hpcmontest)" "$head_url/api/v1/jobs/$root_job")"
[[ "$code" == 403 ]] || fail "another user's job gave $code: $(cat "$work/other")"
code="$(curl -s -o /dev/null -w '%{http_code}' "$head_url/api/v1/jobs")"
[[ "$code" == 401 ]] || fail "no credential gave $code"
code="$(curl -s -o /dev/null -w '%{http_code}' -H "X-Munge-Credential: forged" "$head_url/api/v1/jobs")"
[[ "$code" == 401 ]] || fail "a forged credential gave $code"
# A credential is single use: replaying one is refused.
c="$(cred hpcmontest)"
curl -s -o /dev/null -H "X-Munge-Credential: $c" "$head_url/api/v1/jobs"
code="$(curl -s -o /dev/null -w '%{http_code}' -H "X-Munge-Credential: $c" "$head_url/api/v1/jobs")"
[[ "$code" == 401 ]] || fail "a replayed credential gave $code"
# A service (Prometheus, the web backend) reads everything with the human token.
svc="$(api /api/v1/jobs -H "Authorization: Bearer $(cat "$work/api.token")")"
[[ "$(jget "$svc" 'd["data"]["total"]')" == 2 ]] || fail "the human token should see both jobs: $svc"
code="$(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer wrong-token-0123456789" "$head_url/metrics")"
[[ "$code" == 403 ]] || fail "a wrong token gave $code"
# Job ids inside records are the writer's to choose: a record of another user (nobody) that
# names hpcmontest's job id with a later start must not hide the job from its owner.
orig="$(find "$records" -name "hpcmontest.$user_job.0.r0.0.h5")"
forged="${orig%.0.h5}.1.h5"
cp "$orig" "$forged"
/usr/bin/python3 -c 'import h5py, sys
with h5py.File(sys.argv[1], "r+") as f: f.attrs["start_ns"] = f.attrs["start_ns"] + 3600 * 10**9' "$forged"
chown nobody "$forged"
for _ in $(seq 60); do
  all="$(api /api/v1/jobs -H "X-Munge-Credential: $(munge -S "$socket" -n)")"
  [[ "$(jget "$all" 'd["data"]["total"]')" == 3 ]] && break
  sleep 0.1
done
[[ "$(jget "$all" 'd["data"]["total"]')" == 3 ]] || fail "the forged record was not indexed: $all"
code="$(curl -s -o "$work/own" -w '%{http_code}' -H "X-Munge-Credential: $(cred hpcmontest)" "$head_url/api/v1/jobs/$user_job")"
[[ "$code" == 200 ]] || fail "a forged record hid hpcmontest's job: $code $(cat "$work/own")"
[[ "$(jget "$(cat "$work/own")" 'd["data"]["user"]')" == hpcmontest ]] || fail "wrong run answered: $(cat "$work/own")"
echo "PASS: per-user access"
