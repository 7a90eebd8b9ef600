// Per-rank figures the metrics and rules share: useful time, and each MPI row's time split
// into an estimated transfer part and waiting. Internal to the diagnosis library.
#pragma once

#include <cstdint>
#include <map>
#include <unordered_map>
#include <string>
#include <string_view>
#include <vector>

#include "hpcmon/config.hpp"
#include "hpcmon/record.hpp"

namespace hpcmon::diagnosis {

// One (rank, function) row of /mpi with its estimated split.
struct CallProfile {
  const record::MpiFunctionRow* row = nullptr;
  std::string_view family;  // mpi_family(row->function), owned by the profile's name table
  double transfer_s = 0, wait_s = 0;
};

struct RankProfile {
  std::int32_t rank = 0;
  double wall_s = 0, cpu_s = 0, mpi_s = 0, useful_s = 0;
  std::uint64_t rss_hwm_bytes = 0;
  double transfer_s = 0;                 // estimated transfer time of all calls
  double receive_wait_s = 0;             // waiting in receives, waits and probes
  std::uint64_t receive_wait_calls = 0;  // calls of the rows that waited
  double rooted_wait_s = 0;              // waiting in MPI_Bcast / MPI_Scatter(v)
  double collective_wait_s = 0;          // waiting in the other collectives
  double collective_transfer_s = 0;
  std::uint64_t small_sends = 0;         // sends below the small-message size
  double small_send_s = 0;
  std::uint64_t barriers = 0;
  double barrier_s = 0;
  double io_s = 0;
  std::uint64_t io_bytes = 0;
  std::vector<CallProfile> calls;        // lifecycle rows excluded
};

struct FunctionKind {
  std::string family;  // mpi_family()
  bool receive_side = false, send = false;
};

struct JobProfile {
  std::vector<RankProfile> ranks;  // by rank
  std::unordered_map<std::string, FunctionKind> kinds;  // by function name; CallProfile::family points here
  std::int32_t world = 0;          // max(rank_count, highest rank + 1)
  bool has_mpi_rows = false;
  const RankProfile* find(std::int32_t rank) const;
};

JobProfile build_profile(const record::JobRecord& rec, const config::Diagnosis& t);

// Median of the values (0 for none).
double median(std::vector<double> values);
// Median of sorted values without one occurrence of `value` (which must be among them).
double median_without_one(const std::vector<double>& sorted, double value);

}  // namespace hpcmon::diagnosis
