#!/usr/bin/env bash
# Stops what slurm-accounting-up.sh DIR started: the Slurm cluster (slurm-down.sh), slurmdbd,
# then MariaDB once slurmdbd has gone. Only pids from DIR's pid files, checked by name.
#   usage: slurm-accounting-down.sh DIR
set -uo pipefail

dir="${1:?usage: slurm-accounting-down.sh DIR}"
[[ -d "$dir" ]] || exit 0
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="$(cd "$dir" && pwd)"

pid_of() {  # pid_of PIDFILE NAME: the pid, if it still runs a process called NAME
  local pid
  [[ -s "$1" ]] || return 1
  pid="$(cat "$1")"
  [[ -r "/proc/$pid/comm" && "$(cat "/proc/$pid/comm")" == "$2" ]] && echo "$pid"
}

wait_gone() {  # wait_gone TENTHS PID...: true when all have exited
  local tenths="$1"; shift
  for _ in $(seq "$tenths"); do
    local left=0
    for pid in "$@"; do [[ -d "/proc/$pid" ]] && left=1; done
    ((left)) || return 0
    sleep 0.1
  done
  return 1
}

bash "$here/slurm-down.sh" "$dir" >/dev/null &
slurm_down=$!

dbd="$(pid_of "$dir/run/slurmdbd.pid" slurmdbd)"
if [[ -n "$dbd" ]]; then
  kill "$dbd" 2>/dev/null
  wait_gone 150 "$dbd" || kill -9 "$dbd" 2>/dev/null
fi
db="$(pid_of "$dir/run/mariadbd.pid" mariadbd)"
if [[ -n "$db" ]]; then
  kill "$db" 2>/dev/null
  wait_gone 600 "$db" || kill -9 "$db" 2>/dev/null
fi
wait "$slurm_down"
echo "slurm-accounting-down: cluster and accounting in $dir stopped"
exit 0
