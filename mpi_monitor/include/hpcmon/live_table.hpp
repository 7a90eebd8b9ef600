// hpcmon live tables: the reader of a rank's live table (library hpcmon_live_reader).
//
// What it is: each MPI rank under libhpcmon_mpi.so keeps its MPI tables (per-function calls,
// bytes, time; per-peer traffic; its identity) and a bounded sample series in a fixed-size
// memory-mapped file in the job's run directory (HPCMON_RUN_DIR; outside Slurm a private
// 0700 folder). This library reads such a file from another process, while the rank runs or
// after it died, into a consistent snapshot. Layout: docs/live-table.md.
// What it owns: validation of a live-table file and the snapshot model below.
// What it must never do: trust the file. Sizes, offsets and counts are checked before use; a
// truncated, foreign or hostile file gives LiveTableError, never a crash. The file is read
// with pread into private memory (no mmap: a user truncating the file cannot SIGBUS a root
// reader). Root-side callers pass ReadOptions::expected_owner and open with O_NOFOLLOW.
// Talks to: nothing; used by the node agent (hpcmond --agent) and the hpcmon-live tool.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

namespace hpcmon::live {

class LiveTableError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

enum class State { initializing, running, finalized, aborted };
const char* state_name(State s);  // "initializing", "running", "finalized", "aborted"

struct FunctionCounts {
  std::string name;  // "MPI_Send"
  std::uint64_t calls = 0, bytes = 0, errors = 0;
  double total_s = 0, min_s = 0, max_s = 0;  // 0 while the clock is not calibrated yet
  std::vector<std::uint64_t> size_hist;      // log2 bins, as record::kSizeBins
};

struct PeerTraffic {
  std::uint32_t world = 0;  // 0: the job's own MPI_COMM_WORLD
  std::int32_t peer = 0;    // world rank
  std::uint64_t messages = 0, bytes = 0;
};

struct SamplePoint {
  std::int64_t t_ns = 0;  // realtime, ns since the Unix epoch
  std::uint64_t rss_bytes = 0;
  std::uint64_t mpi_calls = 0;  // cumulative
  double mpi_s = 0;             // cumulative time inside timed MPI calls
  double user_cpu_s = 0, sys_cpu_s = 0;  // cumulative since MPI_Init
  std::vector<double> counters;          // cumulative, named by Snapshot::counter_names
};

struct Snapshot {
  std::uint32_t version_major = 0, version_minor = 0;
  State state = State::initializing;
  std::string job_key, step, node;
  int rank = -1, world_size = 0;
  std::int64_t pid = 0;
  std::int64_t start_ns = 0, end_ns = 0, updated_ns = 0;
  std::int64_t interval_ns = 0;
  std::uint64_t threads_used = 0;
  std::uint64_t untracked_calls = 0;  // calls of threads beyond the table's thread blocks
  std::uint64_t overflows = 0;        // calls or peers that did not fit the fixed tables
  std::uint64_t total_calls = 0;      // sum over `functions`
  double mpi_s = 0;                   // time inside timed MPI calls, all threads
  std::vector<FunctionCounts> functions;  // functions called at least once, all threads merged
  std::vector<PeerTraffic> traffic;       // peers sent to, all threads merged, sorted
  std::vector<std::string> counter_names;
  std::vector<SamplePoint> series;        // oldest first
  std::uint32_t series_cap = 0;
  std::int64_t series_step_ns = 0;        // spacing of kept points
  std::uint64_t decimations = 0;
  // Rows whose writer stopped in the middle of an update (a rank killed mid-call): taken as
  // they are after retries. 0 for a consistent view.
  std::uint64_t torn_rows = 0;
  const FunctionCounts* function(const std::string& name) const;  // nullptr if never called
};

struct ReadOptions {
  // Root-side readers: refuse a file whose owner (fstat) is not this uid. -1: any owner.
  long long expected_owner = -1;
};

// Opens `path` with O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC, requires a regular file, then reads it.
Snapshot read_live_table(const std::string& path, const ReadOptions& options = {});
// Same, relative to an open directory (the agent's run-directory descriptor).
Snapshot read_live_table_at(int dir_fd, const std::string& name, const ReadOptions& options = {});
// Reads an already opened descriptor (checked with fstat as above). `label` names it in errors.
Snapshot read_live_table_fd(int fd, const std::string& label, const ReadOptions& options = {});

// Live-table file names in a run directory ("mpi-*.live"), sorted. Empty if none or no folder.
std::vector<std::string> list_live_tables(const std::string& run_dir);

}  // namespace hpcmon::live
