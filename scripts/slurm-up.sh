#!/usr/bin/env bash
# Starts a private single-node Slurm (munged, slurmctld, slurmd on 127.0.0.1) whose whole
# state lives in DIR. Idempotent: a cluster already up in DIR is left running.
#   usage: slurm-up.sh DIR            then: source DIR/env.sh
# Knobs: HPCMON_SLURM_PLUGSTACK=FILE (copied to DIR/etc/plugstack.conf, empty without it;
#        slurmd restarted when it changes, so job_prolog/epilog see it), HPCMON_SLURM_CPUS=N (advertise N CPUs, default: real ones),
#        HPCMON_SLURM_CTLD_PORT / HPCMON_SLURM_SLURMD_PORT (default 6817 / 6818),
#        HPCMON_SLURM_CGROUP=1 (proctrack/task cgroup on the cgroup v1 memory controller, memory
#        tracked: --mem limits steps, and an OOM kill makes the job OUT_OF_MEMORY).
set -euo pipefail

me=slurm-up
# shellcheck source=scripts/slurm-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/slurm-lib.sh"
dir="$(cluster_dir "${1:?usage: slurm-up.sh DIR}")"
host="$(hostname -s)"

need_commands munged mungekey slurmctld slurmd srun

mkdir -p "$dir"/{etc,log,run,munge,spool/ctld,spool/d}
chmod 755 "$dir" "$dir/munge"

if [[ ! -s "$dir/munge/munge.key" ]]; then
  mungekey -c -k "$dir/munge/munge.key"
  chmod 600 "$dir/munge/munge.key"
fi
if ! alive "$dir/munge/munged.pid" munged; then
  munged --force --key-file="$dir/munge/munge.key" --socket="$dir/munge/munge.socket.2" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" --seed-file="$dir/munge/munged.seed"
fi

# Hardware line from slurmd itself, so slurmd does not reject the node; memory at 90 % so a
# small fluctuation does not drain it.
hw="$(slurmd -C | head -1 | sed -E 's/^NodeName=[^ ]+ //')"
mem="$(sed -E 's/.*RealMemory=([0-9]+).*/\1/' <<<"$hw")"
hw="$(sed -E "s/RealMemory=[0-9]+/RealMemory=$((mem * 9 / 10))/" <<<"$hw")"
overrides=""
proctrack="proctrack/linuxproc" task_plugin="task/none" select_params="CR_Core"
if [[ "${HPCMON_SLURM_CGROUP:-0}" == 1 ]]; then
  proctrack="proctrack/cgroup" task_plugin="task/cgroup" select_params="CR_Core_Memory"
  cat >"$dir/etc/cgroup.conf" <<EOF
CgroupPlugin=cgroup/v1
CgroupMountpoint=/sys/fs/cgroup
ConstrainRAMSpace=yes
ConstrainSwapSpace=yes
EOF
fi
if [[ -n "${HPCMON_SLURM_CPUS:-}" ]]; then
  hw="CPUs=$HPCMON_SLURM_CPUS Boards=1 SocketsPerBoard=1 CoresPerSocket=$HPCMON_SLURM_CPUS ThreadsPerCore=1 RealMemory=$((mem * 9 / 10))"
  overrides="SlurmdParameters=config_overrides"
fi
# Bind to loopback only when the host name resolves there (NoInAddrAny binds to that address).
in_addr_any=""
if getent hosts "$host" | grep -q '^127\.'; then in_addr_any="CommunicationParameters=NoInAddrAny,NoCtldInAddrAny"; fi

cat >"$dir/etc/slurm.conf.new" <<EOF
ClusterName=hpcmontest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket.2
$in_addr_any
StateSaveLocation=$dir/spool/ctld
SlurmdSpoolDir=$dir/spool/d
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
PlugStackConfig=$dir/etc/plugstack.conf
MailProg=/bin/true
ProctrackType=$proctrack
TaskPlugin=$task_plugin
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
SelectType=select/cons_tres
SelectTypeParameters=$select_params
MpiDefault=none
ReturnToService=2
KillWait=5
EnforcePartLimits=ALL
$overrides
NodeName=$host NodeAddr=127.0.0.1 NodeHostname=$host $hw State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
mv "$dir/etc/slurm.conf.new" "$dir/etc/slurm.conf"

# The plugin stack is always the one asked for (none by default), so a cluster reused
# after another test's plugin configuration starts clean.
restart_slurmd=0
plugstack="${HPCMON_SLURM_PLUGSTACK:-/dev/null}"
if ! cmp -s "$plugstack" "$dir/etc/plugstack.conf" 2>/dev/null; then
  cp "$plugstack" "$dir/etc/plugstack.conf"
  restart_slurmd=1  # slurmd reads plugstack.conf only at its start
fi

cat >"$dir/env.sh" <<EOF
# Source this: every Slurm client needs SLURM_CONF, or it tries a DNS SRV lookup.
export SLURM_CONF=$dir/etc/slurm.conf
EOF
export SLURM_CONF="$dir/etc/slurm.conf"

if ! alive "$dir/run/slurmctld.pid" slurmctld; then
  port_free "$ctld_port" HPCMON_SLURM_CTLD_PORT
  slurmctld -f "$SLURM_CONF"
fi
wait_for 20 "slurmctld" bash -c 'scontrol ping | grep -q "is UP"'

if ((restart_slurmd)) && alive "$dir/run/slurmd.pid" slurmd; then
  old_slurmd="$(cat "$dir/run/slurmd.pid")"
  kill "$old_slurmd"
  wait_for 20 "slurmd to stop" bash -c "! [[ -r /proc/$old_slurmd/comm ]]"
fi
if ! alive "$dir/run/slurmd.pid" slurmd; then
  slurmd -f "$SLURM_CONF" -N "$host"
fi
wait_for 30 "the node to be idle" bash -c 'sinfo -h -o %t | grep -qE "^(idle|mix|alloc)$"'
echo "slurm-up: cluster up in $dir (source $dir/env.sh)"
