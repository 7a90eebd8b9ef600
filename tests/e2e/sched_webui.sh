#!/usr/bin/env bash
# The dashboard's Scheduler page on a real hpcmond reading the private Slurm's statistics:
# after three sbatch calls the page's REQUEST_SUBMIT_BATCH_JOB count equals the API's, and a
# history chart is drawn (sched_webui_check.mjs in headless chromium).
# Needs HPCMON_WEBUI_NPM, HPCMON_WEBUI_DIR, HPCMON_CHROMIUM besides lib.sh's arguments.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/head_lib.sh"
start_head "  webui_dir: ${HPCMON_WEBUI_DIR:?}
scheduler:
  interval_s: 1"
wait_sched_reads 1
jobs=()
for i in 1 2 3; do jobs+=("$(sbatch --parsable -H -J "sched-web-$i" --wrap true)"); done
trap 'scancel "${jobs[@]}" 2>/dev/null || true; kill "$head_pid" 2>/dev/null || true' EXIT
wait_sched_reads 3  # rates over at least two intervals for the chart
count="$(sched_rpc_count slurmctld REQUEST_SUBMIT_BATCH_JOB)"
(( count >= 3 )) || fail "API submit count $count after three sbatch"
cat >"$work/expect.json" <<JSON
{"base": "$head_url/", "npm_dir": "${HPCMON_WEBUI_NPM:?}", "chromium": "${HPCMON_CHROMIUM:?}",
 "submit_count": $count, "user": "$(id -un)"}
JSON
node "$(dirname "$0")/sched_webui_check.mjs" "$work/expect.json" "$work/shots"
