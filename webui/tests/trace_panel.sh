#!/usr/bin/env bash
# The job page's Trace panel in a real browser on a real traced MPI run: the ping-pong with
# planted waits (rank 0 sends its first message 300 ms late, the last rank reaches the barrier
# 600 ms after the start) under the preload with HPCMON_MPI_TRACE=1, an untraced run beside it,
# a real hpcmond indexing both records. The API's trace summary must equal `hpcmon trace
# summary --json` of the record; then trace_panel_check.mjs (headless chromium) compares the
# page with the API. Screenshots and result.json stay in WORK/shots.
#   usage: trace_panel.sh HPCMOND HPCMON MPIEXEC PRELOAD PINGPONG WORK
#   env:   HPCMON_WEBUI_DIR, HPCMON_WEBUI_NPM, HPCMON_CHROMIUM; Open MPI's settings (ctest)
set -euo pipefail
head_bin="$1" hpcmon="$2" mpiexec="$3" preload="$4" pingpong="$5" work="$6"
py=/usr/bin/python3
fail() { echo "FAIL: $*" >&2; [[ -f "$work/head.log" ]] && tail -20 "$work/head.log" >&2; exit 1; }
source "$(dirname "$0")/../../tests/e2e/head_standalone.sh"
[[ -x "${HPCMON_CHROMIUM:-/nonexistent}" && -d "${HPCMON_WEBUI_NPM:-/nonexistent}/node_modules/playwright-core" && -f "${HPCMON_WEBUI_DIR:-/nonexistent}/index.html" ]] ||
  fail "needs HPCMON_CHROMIUM, HPCMON_WEBUI_NPM (playwright-core) and an assembled HPCMON_WEBUI_DIR"
rm -rf "$work" && mkdir -p "$work/traced" "$work/plain" "$work/records"
head_pid=""
trap stop_head EXIT

# The preload only for the MPI runs, never for the daemon, node or the browser.
run() {  # run OUT_DIR TRACE RANKS DELAY_MS
  env LD_PRELOAD="$preload" HPCMON_OUTPUT_DIR="$1" HPCMON_MPI_TRACE="$2" HPCMON_MPI_QUIET=1 HPCMON_MPI_LIVE=0 \
    timeout 90 "$mpiexec" -np "$3" "$pingpong" 20 "$4" >"$1.out" 2>&1 || { cat "$1.out"; fail "mpirun -np $3 failed"; }
}
run "$work/traced" 1 4 300
run "$work/plain" 0 2 0
traced_record="$(find "$work/traced" -name '*.h5' | head -1)"
plain_record="$(find "$work/plain" -name '*.h5' | head -1)"
[[ -n "$traced_record" && -n "$plain_record" ]] || fail "no records written"
"$hpcmon" trace summary "$traced_record" --json >"$work/record-summary.json" || fail "hpcmon trace summary"
cp -r "$work/traced/." "$work/plain/." "$work/records/"

write_head_config "$work" "  record_scan_interval_s: 0.2
  webui_dir: $HPCMON_WEBUI_DIR"
launch_head "$head_bin" "$work"
url="$head_url"

# Both runs indexed (their ids are local-<host>-<start>-<pid>).
jobs=""
for _ in $(seq 150); do
  jobs="$(curl -s "$url/api/v1/jobs?limit=100" || true)"
  [[ "$($py -c 'import json,sys; print(len(json.loads(sys.argv[1])["data"]["jobs"]))' "$jobs" 2>/dev/null)" == 2 ]] && break
  sleep 0.2
done
read -r traced_job plain_job < <($py - "$jobs" "$traced_record" <<'PY'
import json, sys
jobs = json.loads(sys.argv[1])["data"]["jobs"]
assert len(jobs) == 2, f"FAIL: expected the two runs in the API, got {[j['job'] for j in jobs]}"
traced = [j["job"] for j in jobs if j["job"] in sys.argv[2]]
assert len(traced) == 1, f"FAIL: the traced record {sys.argv[2]} is not one of {[j['job'] for j in jobs]}"
print(traced[0], next(j["job"] for j in jobs if j["job"] != traced[0]))
PY
) || fail "jobs not indexed: $jobs"

# The API's summary is the record's (hpcmon trace summary --json).
curl -s "$url/api/v1/jobs/$traced_job/trace/summary" >"$work/api-summary.json"
$py - "$work/api-summary.json" "$work/record-summary.json" <<'PY' || fail "the API's trace summary differs from the record's"
import json, sys
api = json.load(open(sys.argv[1]))["data"]["steps"]
record = json.load(open(sys.argv[2]))
assert len(api) == 1 and api[0]["summary"] == record, (api, record)
edges = {(w["waiter"], w["waited_for"], w["kind"]): w["wait_ns"] for w in record["waits"]}
assert edges.get((1, 0, "late_sender"), 0) >= 270_000_000, f"the planted late sender is missing: {edges}"
assert edges.get((2, 3, "collective"), 0) >= 270_000_000, f"the planted barrier wait is missing: {edges}"
print("ok: the API's trace summary equals hpcmon trace summary --json; planted waits", edges[(1, 0, "late_sender")], edges[(2, 3, "collective")])
PY
[[ "$(curl -s -o /dev/null -w '%{http_code}' "$url/api/v1/jobs/$plain_job/trace/summary")" == 404 ]] || fail "the untraced run has a trace summary"

cat >"$work/expect.json" <<JSON
{"base": "$url/", "npm_dir": "$HPCMON_WEBUI_NPM", "chromium": "$HPCMON_CHROMIUM",
 "traced_job": "$traced_job", "plain_job": "$plain_job", "waiter": 1, "peer": 0, "function": "MPI_Recv"}
JSON
node "$(dirname "$0")/trace_panel_check.mjs" "$work/expect.json" "$work/shots" || fail "browser check failed (screenshots in $work/shots)"
echo "PASS: the Trace panel shows the API's figures; screenshots in $work/shots"
