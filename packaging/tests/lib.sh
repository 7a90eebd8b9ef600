# Shared by the deploy.* tests: prerequisites, the cached Debian 12 base root filesystem.
# Sourced; expects $build (the build folder).

require_deploy_run() {
  if [[ "${HPCMON_DEPLOY_TESTS:-0}" != 1 ]]; then
    echo "skipped: takes minutes; run scripts/test-deploy.sh (or HPCMON_DEPLOY_TESTS=1 ctest -L deploy)"
    exit 77
  fi
  [[ $(id -u) == 0 ]] || { echo "needs root (debootstrap, chroot, podman)"; exit 1; }
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || { echo "missing $tool (scripts/test-deploy.sh installs it)"; exit 1; }
  done
}

# The three packages of this build, newest first; fails when `package` was not built.
find_packages() {
  packages="$build/packages"
  local name
  for name in hpcmon-common hpcmon-node hpcmon-head; do
    compgen -G "$packages/${name}_*.deb" >/dev/null ||
      { echo "no $packages/${name}_*.deb: build the target package first"; exit 1; }
  done
  local program="$build/bin/hpcmond" deb
  deb=$(ls -t "$packages"/hpcmon-common_*.deb | head -1)
  if [[ -e $program && $program -nt $deb ]]; then
    echo "$deb is older than $program: rebuild the target package"; exit 1
  fi
}

# The Debian mirror apt uses on this machine.
debian_mirror() {
  local uri
  uri=$(awk '/^URIs:/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)
  [[ -n $uri ]] || uri=$(awk '$1 == "deb" && $0 !~ /security/ {print $2; exit}' /etc/apt/sources.list 2>/dev/null || true)
  echo "${uri:-http://deb.debian.org/debian}"
}

# $build/deploy-cache/debian-bookworm-minbase.tar: `debootstrap --variant=minbase bookworm`,
# apt caches emptied, the host's apt sources (updates, security), and a policy-rc.d that keeps
# package scripts from starting services (as Debian's own container images have). Made once.
base_rootfs_tarball() {
  local cache="$build/deploy-cache"
  base_tar="$cache/debian-bookworm-minbase.tar"
  [[ -s $base_tar ]] && return 0
  mkdir -p "$cache"
  local dir
  dir=$(mktemp -d "$cache/debootstrap.XXXXXX")
  local start=$SECONDS
  debootstrap --variant=minbase bookworm "$dir" "$(debian_mirror)" > "$cache/debootstrap.log" 2>&1 ||
    { tail -20 "$cache/debootstrap.log"; rm -rf "$dir"; echo "debootstrap failed"; return 1; }
  rm -f "$dir"/var/cache/apt/archives/*.deb
  rm -rf "$dir"/var/lib/apt/lists/*
  if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
    rm -f "$dir/etc/apt/sources.list"
    cp /etc/apt/sources.list.d/debian.sources "$dir/etc/apt/sources.list.d/"
  fi
  printf '#!/bin/sh\nexit 101\n' > "$dir/usr/sbin/policy-rc.d"
  chmod 755 "$dir/usr/sbin/policy-rc.d"
  chmod 755 "$dir"  # mktemp made it 0700: it becomes the image's /
  tar --numeric-owner -C "$dir" -cf "$base_tar.tmp" .
  mv "$base_tar.tmp" "$base_tar"
  rm -rf "$dir"
  echo "base root filesystem: $base_tar ($((SECONDS - start)) s)"
}

# A TCP port nobody listens on, from $1 upwards.
free_port() {
  local port=$1
  while [[ -n $(ss -Htln "sport = :$port") ]]; do port=$((port + 1)); done
  echo "$port"
}

# Waits until URL answers 200 (at most $2 seconds).
wait_http() {
  local url=$1 limit=$2 i
  for ((i = 0; i < limit * 4; i++)); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "$url" 2>/dev/null) == 200 ]] && return 0
    sleep 0.25
  done
  return 1
}
