// What one rank contributes to the record at MPI_Finalize (or MPI_Abort): its tables, all
// threads merged, as the fixed-size rows of summary.hpp. Runs once, off the hot path.
#pragma once

#include <sys/resource.h>

#include <cstdint>
#include <ctime>
#include <vector>

#include "report_api.hpp"
#include "summary.hpp"

namespace hpcmon::mpi {

inline std::int64_t now_ns(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return std::int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

struct RankContext {
  int rank = 0;
  std::int64_t mono0 = 0;          // CLOCK_MONOTONIC at the end of MPI_Init
  std::int64_t mono_end = 0;       // at MPI_Finalize entry (0: now); the offset exchange after it waits for every rank
  rusage usage0{};                 // getrusage at the end of MPI_Init
  double ns_per_tick = 0;          // rdtsc calibration over the session
  std::int64_t offset_init_ns = 0, offset_final_ns = 0;
  std::int64_t rtt_init_ns = 0, rtt_final_ns = 0;
  double drift_ns_per_s = 0;
  char cpuset[kNameLen] = {};      // the binding taken at MPI_Init
  int numa_node = -1;
  const ReportApi* counters_api = nullptr;  // libhpcmon_mpi_counters.so, may be absent
  void* counters = nullptr;
};

struct RankRows {
  RankSummary me;
  std::vector<FunctionSummary> functions;
  std::vector<TrafficSummary> traffic;
  std::vector<SeriesSummary> series;
};

RankRows summarize_rank(const RankContext& context);

}  // namespace hpcmon::mpi
