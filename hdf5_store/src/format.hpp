// The record layout, defined once for the writer and the reader: group and dataset names,
// and the columns of every table. docs/job-record.md describes each of them; change both
// together, and bump kFormatMinor when adding.
#pragma once

#include "table.hpp"

namespace hpcmon::store::format {

inline constexpr const char* kRanks = "ranks";
inline constexpr const char* kRankCounters = "rank_counters";  // f64 [rank row][counter]
inline constexpr const char* kNodes = "nodes";
inline constexpr const char* kMpi = "mpi";
inline constexpr const char* kMpiFunctionNames = "function_names";
inline constexpr const char* kMpiCalls = "calls";
inline constexpr const char* kMpiSizeHist = "size_hist";
inline constexpr const char* kTraffic = "traffic";
inline constexpr const char* kTrafficDenseMessages = "messages";
inline constexpr const char* kTrafficDenseBytes = "bytes";
inline constexpr const char* kTrafficCoo = "rows";
inline constexpr const char* kSeries = "series";
inline constexpr const char* kSeriesIndex = "index";
inline constexpr const char* kSeriesTime = "t_ns";
inline constexpr const char* kSeriesValues = "values";
inline constexpr const char* kSummary = "summary";

namespace rank_col {
enum : std::size_t { rank, node, pid, cpuset, numa_node, wall_s, user_cpu_s, sys_cpu_s, mpi_s, rss_hwm_bytes, clock_offset_ns,
                     clock_offset_init_ns, clock_offset_final_ns, clock_rtt_init_ns, clock_rtt_final_ns,
                     clock_drift_ns_per_s, clock_source };
}
inline const table::Schema& rank_schema() {
  using table::Col;
  static const table::Schema s({{"rank", Col::i32}, {"node", Col::str}, {"pid", Col::i64},
                                {"cpuset", Col::str}, {"numa_node", Col::i32}, {"wall_s", Col::f64},
                                {"user_cpu_s", Col::f64}, {"sys_cpu_s", Col::f64}, {"mpi_s", Col::f64},
                                {"rss_hwm_bytes", Col::u64}, {"clock_offset_ns", Col::i64},
                                {"clock_offset_init_ns", Col::i64}, {"clock_offset_final_ns", Col::i64},
                                {"clock_rtt_init_ns", Col::i64}, {"clock_rtt_final_ns", Col::i64},
                                {"clock_drift_ns_per_s", Col::f64}, {"clock_source", Col::str}});
  return s;
}

namespace node_col {
enum : std::size_t { node, hostname, fqdn, cpus, mem_total_bytes, cpu_util_mean, cpu_util_max, mem_used_max_bytes,
                     load1_max, disk_read_bytes, disk_write_bytes, net_rx_bytes, net_tx_bytes };
}
inline const table::Schema& node_schema() {
  using table::Col;
  static const table::Schema s({{"node", Col::str}, {"hostname", Col::str}, {"fqdn", Col::str}, {"cpus", Col::u32},
                                {"mem_total_bytes", Col::u64}, {"cpu_util_mean", Col::f64}, {"cpu_util_max", Col::f64},
                                {"mem_used_max_bytes", Col::u64}, {"load1_max", Col::f64},
                                {"disk_read_bytes", Col::u64}, {"disk_write_bytes", Col::u64},
                                {"net_rx_bytes", Col::u64}, {"net_tx_bytes", Col::u64}});
  return s;
}

// One row per (rank, MPI function); `function` indexes /mpi/function_names.
namespace call_col {
enum : std::size_t { rank, function, calls, bytes, errors, total_s, min_s, max_s };
}
inline const table::Schema& call_schema() {
  using table::Col;
  static const table::Schema s({{"rank", Col::i32}, {"function", Col::u16}, {"calls", Col::u64}, {"bytes", Col::u64},
                                {"errors", Col::u64}, {"total_s", Col::f64}, {"min_s", Col::f64}, {"max_s", Col::f64}});
  return s;
}

// Non-zero histogram bins only: `row` indexes /mpi/calls.
namespace hist_col {
enum : std::size_t { row, bin, count };
}
inline const table::Schema& hist_schema() {
  using table::Col;
  static const table::Schema s({{"row", Col::u32}, {"bin", Col::u8}, {"count", Col::u64}});
  return s;
}

namespace traffic_col {
enum : std::size_t { src, dst_world, dst, messages, bytes };
}
inline const table::Schema& traffic_schema() {
  using table::Col;
  static const table::Schema s({{"src", Col::i32}, {"dst_world", Col::u32}, {"dst", Col::i32},
                                {"messages", Col::u64}, {"bytes", Col::u64}});
  return s;
}

// Series i owns values [offset, offset + count) of /series/values and times
// [t_offset, t_offset + count) of /series/t_ns; series sampled together share their times.
namespace series_col {
enum : std::size_t { owner_kind, owner, metric, unit, source, offset, count, t_offset };
}
inline const table::Schema& series_schema() {
  using table::Col;
  static const table::Schema s({{"owner_kind", Col::str}, {"owner", Col::str}, {"metric", Col::str},
                                {"unit", Col::str}, {"source", Col::str}, {"offset", Col::u64}, {"count", Col::u64},
                                {"t_offset", Col::u64}});
  return s;
}

namespace metric_col {
enum : std::size_t { name, unit, min, mean, max, imbalance, min_rank, max_rank };
}
inline const table::Schema& metric_schema() {
  using table::Col;
  static const table::Schema s({{"metric", Col::str}, {"unit", Col::str}, {"min", Col::f64}, {"mean", Col::f64},
                                {"max", Col::f64}, {"imbalance", Col::f64}, {"min_rank", Col::i32},
                                {"max_rank", Col::i32}});
  return s;
}

namespace function_col {
enum : std::size_t { function, calls, bytes, errors, total_s, fraction_of_mpi, max_rank_s };
}
inline const table::Schema& function_schema() {
  using table::Col;
  static const table::Schema s({{"function", Col::str}, {"calls", Col::u64}, {"bytes", Col::u64},
                                {"errors", Col::u64}, {"total_s", Col::f64}, {"fraction_of_mpi", Col::f64},
                                {"max_rank_s", Col::f64}});
  return s;
}

// /trace/ranks (docs/tracing.md): events kept and dropped per rank, and the buffer's capacity.
inline const table::Schema& trace_rank_schema() {
  using table::Col;
  static const table::Schema s({{"rank", Col::i32}, {"recorded", Col::u64}, {"dropped", Col::u64},
                                {"capacity", Col::u64}});
  return s;
}

}  // namespace hpcmon::store::format
