// The rank's sampling thread: at the configured interval it appends one point to the live
// table's series (RSS from /proc/self/statm, cumulative MPI calls and time over all thread
// blocks, CPU time, and the rank's own counters when they may be read from another thread).
// Started at the end of MPI_Init in MPI ranks only, stopped (and joined) before MPI_Finalize
// or MPI_Abort go on; all signals blocked; gone in a forked child. Nothing node-wide.
#pragma once

#include <sys/resource.h>

#include <cstdint>

#include "report_api.hpp"

namespace hpcmon::mpi {

struct SamplerSetup {
  std::int64_t interval_ns = 1000000000;
  std::uint64_t tsc0 = 0;   // rdtsc and CLOCK_MONOTONIC at the end of MPI_Init: calibration
  std::int64_t mono0 = 0;
  rusage usage0{};
  const ReportApi* counters_api = nullptr;  // read from the sampler only when `counters_shared`
  void* counters = nullptr;
  bool counters_shared = false;  // perf_event/proc sets may be read by any thread; PAPI's not
};

// Starts the thread (the first point is taken at once). False when it cannot be created.
bool sampler_start(const SamplerSetup& setup);
// Stops and joins the thread, then takes the final point from the calling thread.
void sampler_stop();
// Nanoseconds per TSC tick measured since MPI_Init (0 before 1 ms has passed).
double sampler_ns_per_tick();

}  // namespace hpcmon::mpi
