// hpcmon job record: the in-memory model of one step's record.
//
// What it is: plain structs shared by every component that produces or consumes a
// record (mpi_monitor fills the MPI part, the node agent fills node partials, hpcmond
// merges and serves them). The on-disk layout lives in hdf5_store and is documented in
// docs/job-record.md; nothing here depends on HDF5, so these structs may be filled in a
// user's MPI process without pulling HDF5 into it.
//
// Units: timestamps are nanoseconds since the Unix epoch (UTC); durations are seconds;
// sizes are bytes.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <vector>

namespace hpcmon::record {

// Identity of one record (../docs/job-record.md, "Record key").
struct RecordKey {
  std::string cluster;         // Slurm ClusterName, "local" outside Slurm
  std::string job;             // "12", "12_3" (array), "12+1" (het), or "local-<host>-<start>-<pid>"
  std::string step;            // "batch", "extern", "interactive" or the step number
  std::uint32_t restart_count = 0;  // Slurm's restart count of the job
  std::uint32_t run = 0;            // n-th MPI run inside the step (two mpiruns in one batch step)
};

struct Allocation {
  std::uint32_t cores = 0;
  std::uint64_t memory_bytes = 0;
  std::uint64_t time_limit_s = 0;  // 0 = unlimited / unknown
};

struct JobInfo {
  RecordKey key;
  std::string job_name;
  std::string user;
  std::string account;
  std::string partition;
  std::string node_list;  // Slurm hostlist expression, e.g. "node[01-04]"
  std::uint32_t node_count = 0;
  std::uint32_t rank_count = 0;
  Allocation allocation;
  std::string command_line;
  std::int64_t start_ns = 0;
  std::int64_t end_ns = 0;
  bool exit_status_known = false;  // rank 0 does not know it; node partials do
  std::int32_t exit_status = 0;
  std::string counter_source;   // "papi", "perf_event" or "proc": best source used
  std::string counter_quality;  // "exact", "scaled" (multiplexed), "software", "unavailable"
  std::string counter_note;     // one line: why a better counter source dropped out; empty if none
  bool partial = false;
  std::string partial_reason;   // e.g. "missing ranks 6-7"
};

struct RankRow {
  std::int32_t rank = 0;
  std::string node;          // Slurm NodeName (SLURMD_NODENAME), else short host name
  std::int64_t pid = 0;
  std::string cpuset;        // hwloc list syntax, e.g. "0-3"
  std::int32_t numa_node = -1;
  double wall_s = 0;
  double user_cpu_s = 0;
  double sys_cpu_s = 0;
  double mpi_s = 0;          // time inside MPI calls
  std::uint64_t rss_hwm_bytes = 0;
  std::int64_t clock_offset_ns = 0;  // this rank's clock minus rank 0's
  // Clock alignment (format 1.1, docs/tracing.md): both estimates, their round trips, the drift.
  std::int64_t clock_offset_init_ns = 0, clock_offset_final_ns = 0;
  std::int64_t clock_rtt_init_ns = 0, clock_rtt_final_ns = 0;
  double clock_drift_ns_per_s = 0;
  std::string clock_source;          // "tsc" or "clock_gettime"; empty in older records
  std::vector<double> counters;      // totals, same order as JobRecord::counter_names
};

struct NodeRow {
  std::string node;       // Slurm NodeName
  std::string hostname;
  std::string fqdn;
  std::uint32_t cpus = 0;
  std::uint64_t mem_total_bytes = 0;
  double cpu_util_mean = 0;  // 0..1 of all CPUs over the step
  double cpu_util_max = 0;
  std::uint64_t mem_used_max_bytes = 0;
  double load1_max = 0;
  std::uint64_t disk_read_bytes = 0;
  std::uint64_t disk_write_bytes = 0;
  std::uint64_t net_rx_bytes = 0;
  std::uint64_t net_tx_bytes = 0;
};

// log2 message-size histogram: bin 0 counts 0-byte calls, bin k (1..kSizeBins-2)
// counts sizes in [2^(k-1), 2^k), the last bin counts everything from 2^(kSizeBins-2) up.
inline constexpr int kSizeBins = 40;

struct MpiFunctionRow {
  std::int32_t rank = 0;
  std::string function;  // "MPI_Send"
  std::uint64_t calls = 0;
  std::uint64_t bytes = 0;
  std::uint64_t errors = 0;  // calls that returned other than MPI_SUCCESS
  double total_s = 0;
  double min_s = 0;
  double max_s = 0;
  std::array<std::uint64_t, kSizeBins> size_hist{};
};

// Messages and bytes sent by `src` (world rank) to peer (`dst_world`, `dst`). dst_world 0 is
// the job's own MPI_COMM_WORLD; other values number worlds reached through intercommunicators.
struct TrafficRow {
  std::int32_t src = 0;
  std::uint32_t dst_world = 0;
  std::int32_t dst = 0;
  std::uint64_t messages = 0;
  std::uint64_t bytes = 0;
};

struct Series {
  std::string owner_kind;  // "rank" or "node"
  std::string owner;       // rank number or node name
  std::string metric;      // "rss", "cpu_util", ...
  std::string unit;        // "B", "s", "1", "B/s"
  std::string source;      // "papi", "perf_event", "proc", ...
  std::vector<std::int64_t> t_ns;
  std::vector<double> values;
};

// One finding of the job diagnosis as stored in the optional /diagnosis group (format 1.1,
// docs/job-record.md); the full analysis is kept beside it as JSON.
struct StoredFinding {
  std::string rule, severity, title, unit, suggestion;
  std::string ranks, affected_ranks;  // "0-2, 5"
  std::string calls;                  // "MPI_Recv, MPI_Wait"
  std::string evidence;               // lines joined by "\n"
  double quantity = 0;
};

// The diagnosis written into a record by the head's merge or `hpcmon merge` (docs/diagnosis.md).
struct StoredDiagnosis {
  bool present = false;
  std::int64_t analysed_ns = 0;  // when it was computed
  std::string analysis_json;     // the analysis in the API's form (diagnosis::to_json)
  std::vector<StoredFinding> findings;
};

struct JobRecord {
  JobInfo job;
  bool has_mpi = false;  // the rank-0 MPI part is present
  std::vector<std::string> counter_names;
  std::vector<RankRow> ranks;
  std::vector<NodeRow> nodes;
  std::vector<MpiFunctionRow> mpi;
  std::vector<TrafficRow> traffic;
  std::vector<Series> series;
  std::uint64_t mpi_table_overflows = 0;  // calls that did not fit the fixed per-rank tables
  StoredDiagnosis diagnosis;              // optional; a merge leaves it empty (recomputed)
};

}  // namespace hpcmon::record
