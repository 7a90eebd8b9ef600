// The on-disk layout of a rank's live table (docs/live-table.md), shared by the writer in the
// preload and the reader library. Fixed-width fields, little-endian (x86-64), no pointers.
// Everything a reader needs to find a region is in the header (offsets, strides, counts), so
// the writer's in-memory structs may grow without breaking readers of this major version.
#pragma once

#include <cstddef>
#include <cstdint>

namespace hpcmon::live::format {

inline constexpr char kMagic[8] = {'H', 'P', 'C', 'M', 'L', 'I', 'V', 'E'};
inline constexpr std::uint32_t kVersionMajor = 1;
inline constexpr std::uint32_t kVersionMinor = 0;
inline constexpr std::uint32_t kHeaderSize = 4096;
inline constexpr std::uint32_t kNameLen = 48;       // function name slots, NUL-terminated
inline constexpr std::uint32_t kCounterSlots = 8;   // counters kept per series point
inline constexpr std::uint32_t kCounterNameLen = 64;

// Limits a reader enforces before trusting any offset (a foreign or hostile file).
inline constexpr std::uint64_t kMaxFileSize = 256ull << 20;
inline constexpr std::uint32_t kMaxFunctions = 4096;
inline constexpr std::uint32_t kMaxThreads = 256;
inline constexpr std::uint32_t kMaxTrafficSlots = 1u << 20;
inline constexpr std::uint32_t kMaxSeriesPoints = 1u << 20;
inline constexpr std::uint32_t kMaxSizeBins = 64;

enum State : std::uint32_t { kInitializing = 0, kRunning = 1, kFinalized = 2, kAborted = 3 };

// One function row of a thread block. `seq` is odd while the owning thread updates the row.
// Fields after `max_ticks`: size_bins histogram words.
struct FnRow {
  std::uint64_t seq, calls, bytes, errors, ticks, min_ticks, max_ticks;
  // std::uint64_t hist[size_bins];
};
inline constexpr std::uint32_t kFnRowFixedWords = 7;

// One per-peer traffic slot of a thread block; key_plus1 0 = empty slot, else
// (world index << 32 | world rank) + 1.
struct TrafficRow {
  std::uint64_t seq, key_plus1, messages, bytes;
};

// Thread tallies at `tally_offset` inside each thread block: time inside timed MPI calls
// (TSC ticks) and calls or peers that did not fit the fixed tables.
struct ThreadTally {
  std::uint64_t ticks_in_mpi, overflows;
};

// One point of the rank's series, written by the sampling thread.
struct SeriesPoint {
  std::int64_t t_ns;            // realtime, ns since the Unix epoch
  std::uint64_t rss_bytes;      // resident set size now
  std::uint64_t mpi_calls;      // cumulative over all threads
  std::uint64_t mpi_ns;         // cumulative time inside timed MPI calls
  std::uint64_t user_cpu_ns, sys_cpu_ns;  // cumulative since MPI_Init (getrusage)
  double counters[kCounterSlots];         // cumulative, named in Header::counter_names
};
static_assert(sizeof(SeriesPoint) == 112);

struct Header {
  char magic[8];
  std::uint32_t version_major, version_minor;
  std::uint64_t file_size;
  std::uint32_t header_size;
  std::uint32_t pad0;

  // Identity (written once, before state leaves kInitializing).
  char job_key[128];    // record job key: "12", "12_3", "12+1", "local-<host>-<start>-<pid>"
  char step[32];        // "batch", "0", ...
  char node[64];        // SLURMD_NODENAME, else the short host name
  std::int32_t rank, world_size;
  std::int64_t pid;
  std::int64_t start_ns;  // realtime at the end of MPI_Init

  // Layout (written once).
  std::uint32_t function_count, size_bins;
  std::uint64_t names_offset;       // function_count x kNameLen
  std::uint64_t series_offset;      // series_cap x point_size
  std::uint32_t series_cap, point_size;
  std::uint64_t threads_offset, thread_stride;
  std::uint32_t thread_count, fn_stride;  // thread blocks; bytes per FnRow incl. histogram
  std::uint64_t fn_offset;                // inside a thread block
  std::uint64_t traffic_offset;           // inside a thread block
  std::uint32_t traffic_slots, traffic_stride;
  std::uint64_t tally_offset;             // inside a thread block
  std::uint64_t interval_ns;              // configured sampling interval
  std::uint32_t counter_count, pad1;
  char counter_names[kCounterSlots][kCounterNameLen];

  // Written by any thread, plain 64-bit words.
  std::uint64_t threads_used;     // thread blocks claimed so far
  std::uint64_t untracked_calls;  // calls of threads beyond thread_count (updated by the sampler)

  // Control block: the sampler thread (or the lifecycle, while the sampler is stopped) is the
  // only writer; `control_seq` is odd while it updates any field below or the series.
  std::uint64_t control_seq;
  std::uint32_t state, pad2;
  std::int64_t end_ns;            // realtime at MPI_Finalize/MPI_Abort, 0 while running
  std::int64_t updated_ns;        // realtime of the last sample
  double ns_per_tick;             // TSC calibration, 0 until the first sample
  std::uint64_t series_count;     // valid points, <= series_cap
  std::int64_t series_step_ns;    // spacing of kept points (doubles at each decimation)
  std::uint64_t decimations;
};
static_assert(sizeof(Header) <= kHeaderSize);
static_assert(offsetof(Header, control_seq) % 8 == 0);

}  // namespace hpcmon::live::format
