#!/usr/bin/env bash
# deploy.compose: docker-compose.performance.yml with Debian's docker-compose talking to
# podman's API socket (no Docker engine or registry here; ../docs/install.md, "Containers"):
# `up -d monitoring` starts hpcmond alone and it answers on 3001; `up -d` adds Prometheus on
# 9090, which scrapes hpcmond (target up), and Alertmanager on 9093; `ps` lists them;
# `down` removes them. The Debian 12 base image is imported from the cached debootstrap tarball.
# Usage: compose_test.sh BUILD SOURCE
set -euo pipefail
build=$1 source_dir=$2
source "$(dirname "$0")/lib.sh"
started=$(date +%s)
require_deploy_run podman runc docker-compose curl ss
find_packages
base_rootfs_tarball
fail() { echo "FAIL: $*"; exit 1; }

cache="$build/deploy-cache"
# This machine's two podman fixes (hybrid cgroups: runc; root's hard rlimits: ulimits).
cat > "$cache/containers.conf" <<'CONF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
CONF
export CONTAINERS_CONF="$cache/containers.conf"
if ! podman image exists docker.io/library/debian:bookworm; then
  podman import --change 'CMD ["/bin/bash"]' "$base_tar" docker.io/library/debian:bookworm > /dev/null
  echo "imported the Debian 12 base image"
fi

socket="$cache/podman.sock"
rm -f "$socket"
podman system service --time=0 "unix://$socket" > "$cache/podman-service.log" 2>&1 &
service=$!
export DOCKER_HOST="unix://$socket"
project="hpcmondeploy$$"
compose=(docker-compose -p "$project" -f "$source_dir/docker-compose.performance.yml")
cleanup() {
  "${compose[@]}" down -t 2 > /dev/null 2>&1 || true
  kill "$service" 2>/dev/null || true
  wait "$service" 2>/dev/null || true
}
trap cleanup EXIT
for ((i = 0; i < 40; i++)); do [[ -S $socket ]] && break; sleep 0.25; done
[[ -S $socket ]] || fail "podman system service did not start"

export HPCMON_PACKAGE_DIR="$build/packages"
export HPCMON_PORT=$(free_port 3001) HPCMON_PROMETHEUS_PORT=$(free_port 9090)
export HPCMON_ALERTMANAGER_PORT=$(free_port 9093)
echo "ports: monitoring $HPCMON_PORT, prometheus $HPCMON_PROMETHEUS_PORT, alertmanager $HPCMON_ALERTMANAGER_PORT"
timed() {  # LOG command...: runs it with its output in LOG, prints its time
  local log=$1 t=$SECONDS; shift
  "$@" > "$log" 2>&1 || { tail -30 "$log"; fail "$*"; }
  echo "  docker-compose ${*:6} : $((SECONDS - t)) s"
}

# Build (the layer cache keeps reruns quick; new .deb files rebuild the monitoring image).
timed "$cache/compose-build.log" "${compose[@]}" build -q

running() { "${compose[@]}" ps --services --filter status=running | sort | tr '\n' ' '; }

timed "$cache/compose-up.log" "${compose[@]}" up -d monitoring
[[ $(running) == "monitoring " ]] || fail "up -d monitoring started: $(running)"
wait_http "http://127.0.0.1:$HPCMON_PORT/api/v1/health" 30 || { "${compose[@]}" logs monitoring; fail "hpcmond does not answer"; }
health=$(curl -s "http://127.0.0.1:$HPCMON_PORT/api/v1/health")
echo "monitoring alone: health answers"
# hpcmond's alerts go to the compose file's Alertmanager (alerting.alertmanager_url).
grep -q '"name":"alertmanager"' <<<"$health" || fail "hpcmond has no alertmanager channel: $health"
contents=$(dpkg-deb -c "$build"/packages/hpcmon-head_*.deb)
if grep -q 'share/hpcmon/webui/index.html' <<<"$contents"; then
  [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HPCMON_PORT/") == 200 ]] || fail "dashboard not served on $HPCMON_PORT"
  echo "dashboard: 200 on $HPCMON_PORT"
fi

timed "$cache/compose-up.log" "${compose[@]}" up -d
[[ $(running) == "alertmanager monitoring prometheus " ]] || fail "up -d: running $(running)"
wait_http "http://127.0.0.1:$HPCMON_PROMETHEUS_PORT/-/ready" 60 || { "${compose[@]}" logs prometheus; fail "prometheus not ready"; }
wait_http "http://127.0.0.1:$HPCMON_ALERTMANAGER_PORT/api/v2/status" 60 || { "${compose[@]}" logs alertmanager; fail "alertmanager not ready"; }
# Prometheus' own view of its targets: hpcmond's must be up (scrape every 5 s).
target_health() {
  curl -s "http://127.0.0.1:$HPCMON_PROMETHEUS_PORT/api/v1/targets" | /usr/bin/python3 -c '
import json, sys
targets = json.load(sys.stdin)["data"]["activeTargets"]
print(" ".join(t["labels"]["job"] + "=" + t["health"] for t in targets if t["labels"]["job"] == "hpcmond"))'
}
health=""
for ((i = 0; i < 60; i++)); do
  health=$(target_health)
  [[ $health == "hpcmond=up" ]] && break
  sleep 1
done
[[ $health == "hpcmond=up" ]] || fail "Prometheus target: '$health'"
echo "prometheus: target $health after $i s"
# hpcmond's series arrive in Prometheus.
up=$(curl -s "http://127.0.0.1:$HPCMON_PROMETHEUS_PORT/api/v1/query?query=up%7Bjob%3D%22hpcmond%22%7D")
grep -q '"value":\[[0-9.]*,"1"\]' <<<"$up" || fail "up{job=hpcmond} is not 1: $up"
# Alertmanager is reachable from hpcmond's network under the name its configuration uses.
for ((i = 0; i < 30; i++)); do
  am=$(curl -s "http://127.0.0.1:$HPCMON_PROMETHEUS_PORT/api/v1/alertmanagers")
  grep -q 'alertmanager:9093' <<<"$am" && break
  sleep 1
done
grep -q '"activeAlertmanagers":\[{"url":"http://alertmanager:9093/api/v2/alerts"}' <<<"$am" ||
  fail "Prometheus has no active Alertmanager: $am"
# From the project's network, as hpcmond's container sees it (a throwaway container of the same
# image: `exec` would leave podman's exec monitor behind for minutes).
podman run --rm --network "${project}_default" localhost/hpcmon-monitoring:latest \
  curl -sf http://alertmanager:9093/api/v2/status > /dev/null ||
  fail "the monitoring network cannot reach alertmanager:9093"
echo "alertmanager: active in Prometheus, reachable from monitoring"

ps_out=$("${compose[@]}" ps)
echo "$ps_out"
[[ $(grep -c ' Up' <<<"$ps_out") == 3 ]] || fail "ps does not show 3 services up"

timed "$cache/compose-down.log" "${compose[@]}" down
left=$(podman ps -a --filter "label=com.docker.compose.project=$project" --format '{{.Names}}')
[[ -z $left ]] || fail "containers left after down: $left"
! podman network exists "${project}_default" || fail "network left after down"
[[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$HPCMON_PORT/api/v1/health" || true) == 000 ]] ||
  fail "port $HPCMON_PORT still answers after down"
echo "down: no container, network or port left"
echo "deploy.compose: passed in $(( $(date +%s) - started )) s"
