#!/usr/bin/env bash
# deploy.rootfs: the three .deb packages install with apt into a clean Debian 12 root
# filesystem (debootstrap, cached in the build folder), lay out what docs/install.md says,
# resolve every library they need, and the installed hpcmond answers GET /api/v1/health
# running as the user hpcmon; the agent starts as root; reinstall works; purge keeps records.
# Usage: rootfs_test.sh BUILD SOURCE
set -euo pipefail
build=$1
source "$(dirname "$0")/lib.sh"
started=$(date +%s)
require_deploy_run debootstrap chroot unshare curl ss
find_packages
base_rootfs_tarball

root=$(mktemp -d "$build/deploy-cache/rootfs.XXXXXX")
daemon=""
# Stops a program started with `in_root ... &`: $! is a subshell, then unshare, then the
# program; signals do not pass down that chain, so every descendant is stopped, deepest first.
descendants() {
  local c
  for c in $(pgrep -P "$1"); do descendants "$c"; echo "$c"; done
}
stop_in_root() {
  local pids
  pids=$(descendants "$1")
  [[ -z $pids ]] || kill $pids 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}
cleanup() {
  [[ -z $daemon ]] || stop_in_root "$daemon"
  rm -rf "$root"
}
trap cleanup EXIT
tar -C "$root" -xf "$base_tar"
chmod 755 "$root"  # / of the root filesystem (mktemp made it 0700)
mkdir -p "$root/tmp/hpcmon"
cp "$packages"/hpcmon-common_*.deb "$packages"/hpcmon-node_*.deb "$packages"/hpcmon-head_*.deb "$root/tmp/hpcmon/"
cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true

# Everything inside the root runs in a private mount namespace: /proc goes with it.
in_root() {  # [chroot options] -- command...
  local opts=()
  while [[ $1 != -- ]]; do opts+=("$1"); shift; done
  shift
  unshare --mount --fork -- sh -c 'mount -t proc proc "$0/proc" && exec chroot "$@"' \
    "$root" "${opts[@]}" "$root" "$@"
}
fail() { echo "FAIL: $*"; exit 1; }

t0=$SECONDS
in_root -- apt-get update -qq > /dev/null
debs=()
for f in "$root"/tmp/hpcmon/*.deb; do debs+=("/tmp/hpcmon/${f##*/}"); done
in_root -- env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${debs[@]}" \
  > "$build/deploy-cache/rootfs-apt.log" 2>&1 || { tail -30 "$build/deploy-cache/rootfs-apt.log"; fail "apt install"; }
echo "apt install of the three packages and their dependencies: $((SECONDS - t0)) s"

# The user and group, and the folders, as the maintainer scripts make them.
IFS=: read -r _ _ uid gid _ home shell < <(in_root -- getent passwd hpcmon) || fail "no user hpcmon"
(( uid < 1000 )) || fail "hpcmon uid $uid is not a system uid"
[[ $shell == /usr/sbin/nologin ]] || fail "hpcmon shell $shell"
[[ $(in_root -- getent group hpcmon | cut -d: -f3) == "$gid" ]] || fail "hpcmon's group is not hpcmon"
check_dir() {  # path uid:gid mode (numeric: the root's own user database, not the host's)
  local got
  got=$(stat -c '%u:%g %a' "$root$1")
  [[ $got == "$2 $3" ]] || fail "$1 is $got, expected $2 $3"
}
check_dir /var/lib/hpcmon 0:0 755
check_dir /var/lib/hpcmon/records 0:0 755
check_dir /var/lib/hpcmon/head "$uid:$gid" 750
check_dir /var/lib/hpcmon/history "$uid:$gid" 750
check_dir /var/lib/hpcmon/canonical-records "$uid:$gid" 750

libdir=/usr/lib/x86_64-linux-gnu
files=(/usr/sbin/hpcmond /usr/bin/hpcmon /usr/bin/hpcmon-config /usr/bin/hpcmon-sample
       $libdir/hpcmon/libhpcmon_mpi.so $libdir/hpcmon/libhpcmon_mpi_config.so
       $libdir/hpcmon/libhpcmon_mpi_counters.so $libdir/hpcmon/libhpcmon_mpi_report.so
       $libdir/slurm-wlm/spank_hpcmon.so /etc/hpcmon/performance_monitoring_config.yaml
       /usr/lib/systemd/system/hpcmond.service /usr/lib/systemd/system/hpcmond-agent.service
       /etc/slurm/plugstack.conf.d/hpcmon.conf /usr/share/doc/hpcmon/install.md)
for f in "${files[@]}"; do [[ -e $root$f ]] || fail "$f not installed"; done
echo "installed: ${#files[@]} files checked"
# Nothing monitors jobs until the administrator says so: the plugstack line is a comment.
grep -q '^#optional .*spank_hpcmon.so' "$root/etc/slurm/plugstack.conf.d/hpcmon.conf" || fail "no commented plugstack line"
! grep -q '^optional' "$root/etc/slurm/plugstack.conf.d/hpcmon.conf" || fail "plugstack line enabled by the package"
# The plugin's compiled-in preload is the installed one (the compiler may split the string's tail).
grep -qa "$libdir/hpcmon/libhpcmon_mpi" "$root$libdir/slurm-wlm/spank_hpcmon.so" || fail "plugin's default preload path"
# Declared dependencies are complete: every shared library resolves in the clean root.
for f in /usr/sbin/hpcmond /usr/bin/hpcmon /usr/bin/hpcmon-config /usr/bin/hpcmon-sample \
         $libdir/hpcmon/*.so $libdir/slurm-wlm/spank_hpcmon.so; do
  for g in $root$f; do
    out=$(in_root -- ldd "${g#"$root"}")
    ! grep -q "not found" <<<"$out" || { echo "$out"; fail "${g#"$root"}: missing library"; }
  done
done
echo "libraries: all resolve"
in_root -- hpcmon-config check /etc/hpcmon/performance_monitoring_config.yaml > /dev/null || fail "shipped config does not check"

# The head daemon, as the user hpcmon, answers.
port=$(free_port "${HPCMON_DEPLOY_PORT:-3731}")
agent_port=$(free_port $((port + 1)))
in_root --userspec=hpcmon:hpcmon -- env HPCMON_API__PORT="$port" HPCMON_API__AGENT_PORT="$agent_port" \
  HPCMON_ALERTING__STATE_FILE=/var/lib/hpcmon/head/alerts.json \
  /usr/sbin/hpcmond > "$build/deploy-cache/rootfs-hpcmond.log" 2>&1 &
daemon=$!
wait_http "http://127.0.0.1:$port/api/v1/health" 20 || { cat "$build/deploy-cache/rootfs-hpcmond.log"; fail "no health answer on $port"; }
health=$(curl -s "http://127.0.0.1:$port/api/v1/health")
echo "GET /api/v1/health: $health"
pid=$(ss -Htlnp "sport = :$port" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
[[ -n $pid ]] || fail "no listener pid"
[[ $(awk '/^Uid:/ {print $2}' /proc/$pid/status) == "$uid" ]] || fail "listener does not run as hpcmon"
[[ $(awk '/^Gid:/ {print $2}' /proc/$pid/status) == "$gid" ]] || fail "listener's group is not hpcmon"
echo "hpcmond (pid $pid) runs as uid $uid (hpcmon)"
metrics=$(curl -sf "http://127.0.0.1:$port/metrics")  # whole, not piped: grep -q would cut curl off
grep -q '^hpcmon_' <<<"$metrics" || fail "/metrics has no hpcmon_ family"
if [[ -d $root/usr/share/hpcmon/webui ]]; then
  [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/") == 200 ]] || fail "web view not served"
  echo "web view: 200"
fi
stop_in_root "$daemon"; daemon=""

# The agent starts as root with only the capabilities its unit leaves it (and no new
# privileges), and makes its socket root's, 0600.
in_root -- setpriv --bounding-set=-all,+sys_ptrace,+dac_read_search,+chown,+fowner,+setuid,+setgid \
  --no-new-privs /usr/sbin/hpcmond --agent > "$build/deploy-cache/rootfs-agent.log" 2>&1 &
daemon=$!
for ((i = 0; i < 40; i++)); do [[ -S $root/run/hpcmon/agent.sock ]] && break; sleep 0.25; done
[[ -S $root/run/hpcmon/agent.sock ]] || { cat "$build/deploy-cache/rootfs-agent.log"; fail "agent socket missing"; }
[[ $(stat -c '%u %a' "$root/run/hpcmon/agent.sock") == "0 600" ]] || fail "agent socket not root 0600"
# CAP_CHOWN, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_SETGID, CAP_SETUID, CAP_SYS_PTRACE
agent_pid=""
for p in $(pgrep -f '^/usr/sbin/hpcmond --agent'); do
  [[ $(awk '/^CapEff:/ {print $2}' /proc/$p/status) == 00000000000800cd ]] && agent_pid=$p
done
[[ -n $agent_pid ]] || fail "no agent running with exactly the unit's capabilities"
stop_in_root "$daemon"; daemon=""
echo "agent: 6 capabilities, socket root 0600"

# Reinstalling (the upgrade path) runs the maintainer scripts again without error.
in_root -- sh -c 'dpkg -i /tmp/hpcmon/*.deb' > /dev/null || fail "reinstall"
# Purge removes the programs and the daemon's state, never records.
mkdir -p "$root/var/lib/hpcmon/records/alice"
echo record > "$root/var/lib/hpcmon/records/alice/keep.h5"
in_root -- env DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq hpcmon-head hpcmon-node hpcmon-common > /dev/null || fail "purge"
[[ ! -e $root/usr/sbin/hpcmond && ! -e $root/var/lib/hpcmon/head && ! -e $root/var/lib/hpcmon/history && ! -e $root/etc/hpcmon ]] || fail "purge left files"
[[ -f $root/var/lib/hpcmon/records/alice/keep.h5 ]] || fail "purge removed a record"
echo "reinstall and purge: ok (records kept)"
echo "deploy.rootfs: passed in $(( $(date +%s) - started )) s"
