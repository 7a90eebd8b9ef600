#!/usr/bin/env bash
# Runs every hpcmon test on a fresh Debian 12 machine as root: installs what the tests
# need, builds, starts the services the tests use, runs ctest, and stops the services.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
start=$(date +%s)
bash "$root/scripts/install-deps.sh"
bash "$root/scripts/build.sh"
cd "${HPCMON_BUILD_DIR:-$root/build}"
status=0
ctest --output-on-failure -j 2 --timeout 600 || status=$?
echo "test.sh: finished in $(( $(date +%s) - start )) s"
exit $status
