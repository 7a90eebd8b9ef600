#!/usr/bin/env bash
# Configures and builds hpcmon into ./build (or $HPCMON_BUILD_DIR).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${HPCMON_BUILD_DIR:-$root/build}"
# Prefix /usr: the Debian packages' layout (the SPANK plugin compiles in the preload's path).
cmake -S "$root" -B "$build" -DCMAKE_INSTALL_PREFIX=/usr -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j "$(nproc)"
