#!/usr/bin/env bash
# Deployment tests, minutes long and so not part of scripts/test.sh: builds the Debian
# packages (install prefix /usr), installs them into a clean Debian 12 root filesystem made
# with debootstrap (cached in the build folder), and runs docker-compose.performance.yml with
# podman and Debian's docker-compose. Needs root and Debian's package mirror.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
start=$(date +%s)
build="${HPCMON_BUILD_DIR:-$root/build}"

# Container and root-filesystem tools (docker-compose without Docker's engine: podman serves it).
tools=(podman runc debootstrap systemd curl iproute2)
missing=()
for p in "${tools[@]}" docker-compose; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "test-deploy: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}" >/dev/null
fi

# Packages install under /usr: the SPANK plugin's default preload path is compiled in.
cmake -S "$root" -B "$build" -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)"
(cd "$build" && cpack -G DEB >/dev/null)
ls -l "$build"/packages/*.deb

cd "$build"
status=0
HPCMON_DEPLOY_TESTS=1 ctest --output-on-failure --timeout 1200 -R '^deploy\.' || status=$?
echo "test-deploy.sh: finished in $(( $(date +%s) - start )) s"
exit $status
