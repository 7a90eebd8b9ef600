#!/usr/bin/env bash
# Stops the private Slurm started by slurm-up.sh DIR: cancels its jobs, stops the daemons in
# parallel by their pid files, then ends leftover step daemons of this cluster only.
#   usage: slurm-down.sh DIR
set -uo pipefail

dir="${1:?usage: slurm-down.sh DIR}"
[[ -d "$dir" ]] || exit 0
dir="$(cd "$dir" && pwd)"
export SLURM_CONF="$dir/etc/slurm.conf"
me=slurm-down
# shellcheck source=scripts/slurm-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/slurm-lib.sh"

ctld="$(pid_of "$dir/run/slurmctld.pid" slurmctld)"
if [[ -n "$ctld" ]]; then
  scancel --full --quiet --user=root 2>/dev/null; scancel --quiet --state=PENDING 2>/dev/null
  for _ in $(seq 50); do
    [[ -z "$(squeue -h 2>/dev/null)" ]] && break
    sleep 0.1
  done
fi

pids=()
for entry in "run/slurmd.pid slurmd" "run/slurmctld.pid slurmctld" "munge/munged.pid munged"; do
  read -r file name <<<"$entry"
  pid="$(pid_of "$dir/$file" "$name")" && { kill "$pid" 2>/dev/null; pids+=("$pid"); }
done

# Step daemons of this cluster hold unix sockets under its spool directory: match the
# socket inodes of each slurmstepd against the paths in /proc/net/unix.
cluster_inodes="$(awk -v d="$dir/spool/d/" 'index($8, d) == 1 {print $7}' /proc/net/unix)"
stepds=()
for pid in $(pgrep -x slurmstepd); do
  for inode in $(ls -l "/proc/$pid/fd" 2>/dev/null | sed -nE 's/.*socket:\[([0-9]+)\].*/\1/p'); do
    if grep -qx "$inode" <<<"$cluster_inodes"; then stepds+=("$pid"); break; fi
  done
done
((${#stepds[@]})) && kill "${stepds[@]}" 2>/dev/null

if ! wait_gone 100 "${pids[@]}" "${stepds[@]}"; then
  for pid in "${pids[@]}" "${stepds[@]}"; do [[ -d "/proc/$pid" ]] && kill -9 "$pid" 2>/dev/null; done
fi
echo "slurm-down: cluster in $dir stopped"
exit 0
