#!/usr/bin/env bash
# The dashboard in a real browser: the plugin and a node agent on the test cluster push to a
# real hpcmond serving the page; a finished MPI job, a finished non-MPI job named with markup
# and a running job are shown; chromium (playwright-core) checks every page against the
# records (hpcmon export), sinfo's node count, and where the page's requests go.
# Screenshots, the request log and result.json stay in the test's folder.
set -euo pipefail
source "$(dirname "$0")/lib.sh" "$@"
source "$(dirname "$0")/spank_lib.sh"
source "$(dirname "$0")/agent_lib.sh"
source "$(dirname "$0")/head_lib.sh"
npm_dir="${HPCMON_WEBUI_NPM:?}" chromium="${HPCMON_CHROMIUM:?}" check="${HPCMON_WEBUI_CHECK:?}"
[[ -d "$npm_dir/node_modules/playwright-core" ]] || fail "playwright-core not installed in $npm_dir (build target hpcmon_webui)"
[[ -f "${HPCMON_WEBUI_DIR:?}/index.html" ]] || fail "dashboard not assembled in $HPCMON_WEBUI_DIR"

umask 077
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/api.token"
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$work/agent.token"
umask 022
# The page from the build tree (api.webui_dir); a rule that fires at once (the head's load is
# never below 0) for the acknowledgement check, and one that stays pending for the Alerts page.
start_head "  webui_dir: $HPCMON_WEBUI_DIR
alerting:
  enabled: true
  evaluation_interval_s: 0.5
  state_file: $work/alerts.json
  rules:
    - name: WebuiCheck
      metric: node.load1
      scope: node
      op: \">=\"
      threshold: 0
      for: 1s
      severity: warning
      description: \"load {{ \$value }} on {{ \$labels.node }}\"
    - name: WebuiPending
      metric: node.load1
      scope: node
      op: \">=\"
      threshold: 0
      for: 1h
      severity: info
      description: \"pending for the alerts page's pending list\""
# head_lib.sh gives the daemon a history folder of its own under $work.
start_agent "  head_url: http://127.0.0.1:$head_agent_port
  token_file: $work/agent.token
  push_interval_s: 0.5"
use_agent_plugin
running=""
cleanup() {
  local rc=$?
  set +e  # a trap under errexit would end at "(exit $rc)" and skip the rest of the clean-up
  [[ -n "$running" ]] && scancel "$running" 2>/dev/null || true
  kill "$head_pid" ${token_pid:-} 2>/dev/null || true
  (exit $rc)
  agent_cleanup
}
trap cleanup EXIT

# The served page is the one the build assembled, with the page's policy.
curl -sf -D "$work/index.headers" "$head_url/" -o "$work/index.html" || fail "no page at $head_url/"
cmp -s "$work/index.html" "$HPCMON_WEBUI_DIR/index.html" || fail "/ is not the assembled index.html"
grep -qi "^content-security-policy: default-src 'self'" "$work/index.headers" || fail "no page policy: $(cat "$work/index.headers")"
[[ "$(curl -s -o /dev/null -w '%{http_code}' "$head_url/ui/../../etc/passwd")" == 404 ]] || fail "path outside the page folder answered"

# A finished MPI job, a finished non-MPI job named with markup, a running job.
timeout 60 srun --mpi=pmix -n2 -J webui-mpi "$heat1d" 1500 >"$work/mpi.out" 2>&1 || { cat "$work/mpi.out"; fail "MPI srun failed"; }
timeout 60 srun -n1 -J '<img src=x onerror=alert(1)>' bash -c 'for ((i = 0; i < 200000; i++)); do :; done' >"$work/plain.out" 2>&1 ||
  { cat "$work/plain.out"; fail "non-MPI srun failed"; }
# Left running while the browser looks (a sleeping step: the agent still reports it).
running="$(sbatch --parsable -J webui-running -n1 -o /dev/null --wrap "srun -n1 sleep 300")"
mpi_job="$(job_id_named webui-mpi)"
plain_job="$(scontrol -o show job | sed -nE 's/^JobId=([0-9]+) .*JobName=<img src=x onerror=alert\(1\)> .*/\1/p' | tail -1)"
[[ -n "$mpi_job" && -n "$plain_job" ]] || fail "jobs not found in slurmctld"

# The MPI job's canonical record, once the head merged rank 0's part with the agent's.
for _ in $(seq 150); do
  out="$(api "/api/v1/jobs/$mpi_job.0")"
  [[ "$out" == *'"merge":"merged"'* ]] && break
  sleep 0.2
done
[[ "$out" == *'"merge":"merged"'* ]] || fail "MPI job $mpi_job not merged: $out"
for _ in $(seq 150); do
  out="$(api "/api/v1/jobs/$plain_job")"
  [[ "$out" == *'"status":"success"'* && "$out" == *'"steps":[{'* ]] && break
  sleep 0.2
done
[[ "$out" == *'"steps":[{'* ]] || fail "non-MPI job $plain_job has no record in the API: $out"
for _ in $(seq 100); do
  [[ "$(api "/api/v1/agents")" == *"\"job\":\"$running\""* ]] && break
  sleep 0.2
done
# Acknowledging in the page needs a firing alert: the config above turns alerting on, so a
# daemon without it fails here rather than leaving the check out.
[[ "$(api /api/v1/alerts)" == *'"enabled":true'* ]] || fail "alerting is off in the test's daemon: $(api /api/v1/alerts)"
for _ in $(seq 100); do
  [[ "$(api "/api/v1/alerts?state=firing&alertname=WebuiCheck")" == *'"state":"firing"'* ]] && break
  sleep 0.2
done
[[ "$(api "/api/v1/alerts?state=firing&alertname=WebuiCheck")" == *'"state":"firing"'* ]] || fail "WebuiCheck never fired: $(api /api/v1/alerts)"
acknowledge=True
# What the page shows is the head's canonical (merged) record, not rank 0's file.
record="$(find "$work/canonical-records" -name "hpcmontest.$mpi_job.0.r0.0.h5" | head -1)"
[[ -n "$record" ]] || fail "no record of job $mpi_job"
"$hpcmon" export "$record" --format json >"$work/record.json"

# The figures the page must show, from the record itself.
nodes="$(sinfo -h -N -o '%N' | sort -u | wc -l)"
"$python" - "$work/record.json" "$work/expect.json" <<PY
import json, sys
rec = json.load(open(sys.argv[1]))
ranks = {r["rank"]: r for r in rec["ranks"]}
rank = 1 if 1 in ranks else min(ranks)
totals = {}
for row in rec["mpi"]:
    totals[row["function"]] = totals.get(row["function"], 0.0) + row["total_s"]
top = max(totals, key=totals.get)
cells = sorted((t for t in rec["traffic"] if t.get("dst_world", 0) == 0), key=lambda t: (t["src"], t["dst"]))
assert cells, "FAIL: the record has no traffic"
cell = {"src": cells[0]["src"], "dst": cells[0]["dst"], "bytes": sum(t["bytes"] for t in cells if (t["src"], t["dst"]) == (cells[0]["src"], cells[0]["dst"]))}
expect = {"base": "$head_url/", "npm_dir": "$npm_dir", "chromium": "$chromium", "node_count": $nodes,
          "mpi_job": "$mpi_job", "plain_job": "$plain_job", "xss_job": "$plain_job", "running_job": "$running",
          "rank": rank, "rank_mpi_fraction": ranks[rank]["mpi_s"] / ranks[rank]["wall_s"], "top_function": top,
          "cell": cell, "memory_series": sum(1 for s in rec["series"] if s["owner_kind"] in ("rank", "task") and s["metric"] == "rss"), "token": open("$work/api.token").read().strip(), "acknowledge": $acknowledge}
json.dump(expect, open(sys.argv[2], "w"), indent=1)
print("expect:", {k: expect[k] for k in ("rank", "rank_mpi_fraction", "top_function", "cell", "node_count")})
PY

# The same records behind a daemon in token mode: the page is public, its data needs the token.
token_port="$(free_port)"
cat >"$work/token.yaml" <<YAML
hpc:
  record_dir: $records
api:
  port: $token_port
  agent_port: $(free_port)
  access: token
  token_file: $work/api.token
  agent_token_file: $work/agent.token
  record_scan_interval_s: 0.5
  webui_dir: $HPCMON_WEBUI_DIR
alerting:
  state_file: $work/token-alerts.json
history:
  path: $work/token-history
YAML
"$head_bin" --config "$work/token.yaml" >"$work/token-head.log" 2>&1 &
token_pid=$!
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$token_port/api/v1/health" >/dev/null && break; sleep 0.1; done
[[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$token_port/")" == 200 ]] || fail "page not public in token mode"
[[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$token_port/api/v1/jobs")" == 401 ]] || fail "jobs readable without the token"
for _ in $(seq 100); do
  [[ "$(curl -s -H "Authorization: Bearer $(cat "$work/api.token")" "http://127.0.0.1:$token_port/api/v1/jobs")" == *"\"job\":\"$mpi_job\""* ]] && break
  sleep 0.1
done
"$python" - "$work/expect.json" "http://127.0.0.1:$token_port/" <<'PY'
import json, sys
e = json.load(open(sys.argv[1])); e["token_base"] = sys.argv[2]; json.dump(e, open(sys.argv[1], "w"), indent=1)
PY

node "$check" "$work/expect.json" "$work/browser" || fail "browser check failed (screenshots in $work/browser)"
{
  # The page's acknowledgement changed the alert's state in the daemon, with the page's comment.
  id="$(cat "$work/browser/acknowledged.txt")"
  out="$(api "/api/v1/alerts?acknowledged=true")"
  "$python" - "$out" "$id" <<'PY' || fail "acknowledgement not in the API: $out"
import json, sys
alerts = {a["id"]: a for a in json.loads(sys.argv[1])["data"]["alerts"]}
a = alerts[sys.argv[2]]
assert a["acknowledged"] and a["acknowledgement"]["comment"] == "checked by the browser test", a
print("ok: alert", a["id"], "acknowledged by", a["acknowledgement"]["by"])
PY
}
echo "PASS: dashboard pages checked in chromium; screenshots in $work/browser"
