#!/usr/bin/env bash
# deploy.units: the installed systemd units pass `systemd-analyze verify` and reach their
# exposure scores offline; the head daemon runs as hpcmon, the agent with exactly the
# capabilities docs/agent.md names. Usage: units_test.sh UNIT_DIR HPCMOND SBINDIR
set -euo pipefail
unit_dir=$1 hpcmond=$2 sbindir=$3
command -v systemd-analyze >/dev/null || { echo "systemd-analyze missing (Debian: systemd)"; exit 77; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# verify checks that ExecStart names an executable: point it at the built program.
for unit in hpcmond.service hpcmond-agent.service; do
  sed "s|$sbindir/hpcmond|$hpcmond|" "$unit_dir/$unit" > "$work/$unit"
done
out=$(cd "$work" && systemd-analyze verify hpcmond.service hpcmond-agent.service 2>&1) || { echo "$out"; exit 1; }
if [[ -n "$out" ]]; then echo "verify printed:"; echo "$out"; exit 1; fi
echo "verify: clean"

score() {  # unit threshold (exposure x 10: 13 is 1.3)
  local text
  text=$(systemd-analyze security --offline=yes --threshold="$2" "$work/$1" 2>&1) || {
    echo "$text" | tail -25; echo "$1: exposure above $2"; exit 1; }
  echo "$text" | grep -o "Overall exposure level for $1: [0-9.]*.*"
}
score hpcmond.service 13
score hpcmond-agent.service 30

want() {  # unit key value
  grep -qx "$2=$3" "$work/$1" || { echo "$1: expected $2=$3"; exit 1; }
}
want hpcmond.service User hpcmon
want hpcmond.service CapabilityBoundingSet ""
want hpcmond.service ProtectSystem strict
want hpcmond-agent.service CapabilityBoundingSet \
  "CAP_SYS_PTRACE CAP_DAC_READ_SEARCH CAP_CHOWN CAP_FOWNER CAP_SETUID CAP_SETGID"
want hpcmond-agent.service ProtectSystem strict
# Both read the configuration from /etc.
grep -q -- "--config /etc/hpcmon/performance_monitoring_config.yaml" "$work/hpcmond.service"
grep -q -- "--agent --config /etc/hpcmon/performance_monitoring_config.yaml" "$work/hpcmond-agent.service"
echo "units: ok"
