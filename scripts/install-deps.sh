#!/usr/bin/env bash
# Installs every Debian 12 package hpcmon and its tests need. Idempotent, non-interactive.
# Each component adds its packages to the list below.
set -euo pipefail

packages=(
  # build
  build-essential cmake pkg-config git binutils python3
  # papi_sampler
  libpapi-dev papi-tools libhwloc-dev hwloc
  # configuration
  libyaml-cpp-dev
  # hdf5_store and the hpcmon command
  libhdf5-dev hdf5-tools libcli11-dev nlohmann-json3-dev
  # mpi_monitor
  openmpi-bin libopenmpi-dev gfortran
  # private Slurm test cluster (scripts/slurm-up.sh) and the SPANK plugin
  slurmctld slurmd slurm-client munge libslurm-dev iproute2 procps
  # daemon: HTTP server, agent push client, per-user access through MUNGE
  libmicrohttpd-dev libcurl4-openssl-dev libmunge-dev
  # tests
  libgtest-dev googletest python3-h5py python3-numpy python3-mpi4py prometheus
  # benchmarks
  wrk hyperfine
  # TLS test certificates
  openssl
  # alerting channels tested against the real receivers
  prometheus-alertmanager python3-aiosmtpd
  # accounting-database health: the daemon's MariaDB client; private MariaDB + slurmdbd in tests
  libmariadb-dev mariadb-server mariadb-client slurmdbd percona-toolkit
  # memory profiling: offline symbolisation of leak sites
  libdw-dev libelf-dev libunwind-dev
  # web view: uPlot and Playwright from npm at build time, Debian's chromium for the browser test
  nodejs chromium
)
# npm: Debian's package, unless the installed nodejs brings its own (NodeSource's does).
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq -o DPkg::Lock::Timeout=600 --no-install-recommends "${missing[@]}" >/dev/null
fi
echo "install-deps: all ${#packages[@]} packages present"
