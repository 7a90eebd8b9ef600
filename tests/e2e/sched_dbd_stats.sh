#!/usr/bin/env bash
# slurmdbd's RPC statistics in hpcmond (head mode) on the cluster WITH accounting (fixture
# `accounting`): each `sacct` is one DBD_GET_JOBS_COND, so three sacct calls raise its count
# by exactly 3 in GET /api/v1/scheduler and on /metrics; the daemon's own reads are counted.
# Usage: sched_dbd_stats.sh HPCMOND WORKDIR   (HPCMON_ACCOUNTING_DIR from the fixture)
set -euo pipefail
export HPCMON_HEAD_BIN="$1"
work="$2"
python="${HPCMON_PYTHON:-/usr/bin/python3}"
fail() { echo "FAIL: $*" >&2; exit 1; }
# shellcheck disable=SC1091
source "${HPCMON_ACCOUNTING_DIR:?HPCMON_ACCOUNTING_DIR not set}/env.sh"
rm -rf "$work" && mkdir -p "$work/records"
records="$work/records"
source "$(dirname "$0")/head_lib.sh"
start_head "scheduler:
  interval_s: 1"

jobs_cond_api() { sched_rpc_count slurmdbd DBD_GET_JOBS_COND; }
jobs_cond_metric() { sched_rpc_metric slurmdbd DBD_GET_JOBS_COND; }

wait_sched_reads 2
[[ "$(sched 'd["data"]["slurmdbd_status"]')" == ok ]] || fail "slurmdbd not read: $(api /api/v1/scheduler)"
# The daemon's own connection shows in slurmdbd's table: SLURM_PERSIST_INIT and DBD_GET_STATS.
[[ "$(sched '[t["rpc"] for t in d["data"]["slurmdbd"]["rpc_types"] if t["rpc"] in ("DBD_GET_STATS", "SLURM_PERSIST_INIT")]' | tr -d "[]' ")" =~ DBD_GET_STATS ]] \
  || fail "slurmdbd's table lacks the daemon's own DBD_GET_STATS: $(api /api/v1/scheduler)"
base_api="$(jobs_cond_api)" base_metric="$(jobs_cond_metric)"
for _ in 1 2 3; do sacct -X -n -S now-1hour >/dev/null; done
wait_sched_reads 2
[[ "$(jobs_cond_api)" == $((base_api + 3)) ]] || fail "API: DBD_GET_JOBS_COND $base_api -> $(jobs_cond_api), expected +3"
[[ "$(jobs_cond_metric)" == $((base_metric + 3)) ]] || fail "/metrics: DBD_GET_JOBS_COND $base_metric -> $(jobs_cond_metric), expected +3"
own="$(sched 'd["data"]["own_rpcs"]["slurmdbd"]')"
(( own >= 6 )) || fail "the daemon's own slurmdbd RPCs are not counted: $own"
echo "PASS: slurmdbd DBD_GET_JOBS_COND $base_api -> $(jobs_cond_api) after 3 sacct; own slurmdbd RPCs $own"
