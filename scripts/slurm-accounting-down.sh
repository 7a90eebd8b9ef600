#!/usr/bin/env bash
# Stops what slurm-accounting-up.sh DIR started: the Slurm cluster (slurm-down.sh), slurmdbd,
# then MariaDB once slurmdbd has gone. Only pids from DIR's pid files, checked by name.
#   usage: slurm-accounting-down.sh DIR
set -uo pipefail

dir="${1:?usage: slurm-accounting-down.sh DIR}"
[[ -d "$dir" ]] || exit 0
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dir="$(cd "$dir" && pwd)"

me=slurm-accounting-down
# shellcheck source=scripts/slurm-lib.sh
source "$here/slurm-lib.sh"

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
