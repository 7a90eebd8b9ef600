# shellcheck shell=bash disable=SC2034,SC2154  # sets variables for, and reads `me` and `dir` of, the sourcing script
# Shared by the private-cluster scripts (slurm-up.sh, slurm-down.sh, slurm-accounting-up.sh,
# slurm-accounting-down.sh); sourced, never run. Before sourcing, set `me` (the script's name,
# for messages). Gives: the cluster folder checked and made absolute, the Slurm ports every
# script derives the same way, and the checks on the processes a cluster's pid files name.

# Slurm's ports: the defaults of the shared `slurm` fixture unless the caller names others.
ctld_port="${HPCMON_SLURM_CTLD_PORT:-6817}"
slurmd_port="${HPCMON_SLURM_SLURMD_PORT:-6818}"

# need_commands CMD...: exits naming the first one missing.
need_commands() {
  local cmd
  for cmd in "$@"; do
    command -v "$cmd" >/dev/null || { echo "$me: $cmd missing: run scripts/install-deps.sh" >&2; exit 2; }
  done
}

# cluster_dir DIR: DIR made and printed as an absolute path; exits when Slurm cannot use it.
cluster_dir() {
  case "$1" in *[[:space:]\#\"\'=]*) echo "$me: $1: Slurm cannot use a path with spaces, #, quotes or =" >&2; exit 2;; esac
  mkdir -p "$1"
  (cd "$1" && pwd)
}

# port_free PORT VARIABLE: exits, naming the variable that moves it, when PORT is listened on.
port_free() {
  if [[ -n "$(ss -ltnH "sport = :$1")" ]]; then
    echo "$me: port $1 is taken (another cluster?); set $2" >&2; exit 2
  fi
}

pid_of() {  # pid_of PIDFILE NAME: the pid in PIDFILE, if it runs a process called NAME
  local pid
  [[ -s "$1" ]] || return 1
  pid="$(cat "$1")"
  [[ -r "/proc/$pid/comm" && "$(cat "/proc/$pid/comm")" == "$2" ]] && echo "$pid"
}

alive() { pid_of "$@" >/dev/null; }  # alive PIDFILE NAME

# wait_for SECONDS DESCRIPTION COMMAND...: until COMMAND succeeds; the failure names `logs`.
wait_for() {
  local deadline=$((SECONDS + $1)) what="$2"; shift 2
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then echo "$me: timed out waiting for $what (logs in ${logs:-$dir/log})" >&2; return 1; fi
    sleep 0.05
  done
}

# wait_gone TENTHS PID...: true once every PID has exited, false after TENTHS tenths of a second.
wait_gone() {
  local tenths="$1" pid left; shift
  for _ in $(seq "$tenths"); do
    left=0
    for pid in "$@"; do [[ -d "/proc/$pid" ]] && left=1; done
    ((left)) || return 0
    sleep 0.1
  done
  return 1
}
