// Fixed-size summaries each rank sends to rank 0 at MPI_Finalize (as contiguous MPI_BYTE
// datatypes: every rank runs the same build of this library), and the job-level facts rank 0
// hands to the report library. Plain data only: no pointers inside what is gathered.
#pragma once

#include <cstdint>

#include "hpcmon/mpi_monitor.hpp"
#include "hpcmon/record.hpp"
#include "live_table_format.hpp"
#include "trace_wire.hpp"

namespace hpcmon::mpi {

inline constexpr int kMaxCounters = 16;
inline constexpr int kNameLen = 64;
inline constexpr int kNoteLen = 256;

struct RankSummary {
  std::int32_t rank;
  std::int32_t numa_node;
  std::int64_t pid;
  char node[kNameLen];      // SLURMD_NODENAME, else the short host name
  char hostname[kNameLen];
  char cpuset[kNameLen];
  double wall_s, user_cpu_s, sys_cpu_s, mpi_s;
  std::uint64_t rss_hwm_bytes;
  std::int64_t clock_offset_init_ns, clock_offset_final_ns;  // this rank's clock minus rank 0's
  std::int64_t clock_rtt_init_ns, clock_rtt_final_ns;        // round trip of each estimate
  double clock_drift_ns_per_s;                               // (final - init) offset over the run
  char clock_source[16];                                     // "tsc" or "clock_gettime"
  std::int32_t function_rows, traffic_rows;
  std::uint64_t overflows;
  std::int32_t world_count;
  std::int32_t counter_count;
  std::uint64_t world_uids[kWorlds];
  double counters[kMaxCounters];
  char counter_names[kMaxCounters][kNameLen];
  char counter_source[16];
  char counter_quality[16];
  char counter_note[kNoteLen];  // why a better counter source dropped out, one line
  // The rank's sample series (docs/live-table.md): its points follow in the gathered series
  // rows, named counters as in its live table.
  std::int32_t series_rows;
  std::int32_t series_counter_count;
  char series_counter_names[live::format::kCounterSlots][live::format::kCounterNameLen];
};

// One point of a rank's series, gathered rank after rank (bounded by the series cap).
using SeriesSummary = live::format::SeriesPoint;

struct FunctionSummary {
  std::int32_t function;  // Fn id (same library on every rank)
  std::int32_t pad;
  std::uint64_t calls, bytes, errors;
  double total_s, min_s, max_s;
  std::uint64_t hist[record::kSizeBins];
};

struct TrafficSummary {
  std::uint32_t world_index;  // into RankSummary::world_uids of the sending rank
  std::int32_t dst;
  std::uint64_t messages, bytes;
};

// What rank 0 (or an aborting rank) passes to the report library.
struct GatheredJob {
  const RankSummary* ranks;
  int rank_count;         // rows in `ranks` (1 for an MPI_Abort flush)
  int world_size;
  const FunctionSummary* functions;  // all ranks' rows, rank after rank
  long function_count;
  const TrafficSummary* traffic;     // all ranks' rows, rank after rank
  long traffic_count;
  const SeriesSummary* series;       // all ranks' points, rank after rank
  long series_count;
  const char* const* function_names;  // indexed by FunctionSummary::function
  int function_name_count;
  std::int64_t start_ns, end_ns;
  std::uint64_t untracked_calls;      // calls of threads beyond kMaxThreads
  bool partial;
  const char* partial_reason;
  const char* record_dir;             // resolved by rank 0 at MPI_Init
  // Tracing (docs/tracing.md): null when off. trace_next fills the next chunk of some rank's
  // events (room for kTraceChunkEvents) and returns false when every rank is done.
  void* trace;
  bool (*trace_next)(void* trace, TraceChunkHeader* header, TraceWireEvent* events);
};

}  // namespace hpcmon::mpi
