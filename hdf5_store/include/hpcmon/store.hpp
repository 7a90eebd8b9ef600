// hpcmon store: the HDF5 job record on disk, its reader, merge and summary.
//
// What it is: the one definition of the record format (docs/job-record.md), shared by the
// MPI preload's rank 0, the node agent, the head daemon and the `hpcmon` command.
// What it owns: the on-disk layout and its version, record file names, merge semantics and
// the derived summary.
// What it must never do: it runs as a guest inside users' MPI processes, which may use HDF5
// themselves, so it never calls H5close or H5garbage_collect, never changes HDF5's error
// handler except around its own calls on the calling thread (restored before returning),
// and opens files with HDF5 file locking off. Every failure is a RecordError with a one-line
// message, never a crash or output on stderr.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "hpcmon/record.hpp"

namespace hpcmon::store {

class TraceSource;  // hpcmon/trace.hpp

// Format version written as root attributes `format_major` / `format_minor`. Minor versions
// only add; the reader accepts every minor of its major and refuses any other major.
// 1.1: rank clock-alignment columns, the optional /trace group (docs/tracing.md).
// 1.2: the optional /diagnosis and /memory groups (docs/job-record.md, "Versioning").
inline constexpr unsigned kFormatMajor = 1, kFormatMinor = 2;

// Jobs with at most this many ranks store their traffic matrix dense (n x n); larger jobs,
// and any job with traffic to other MPI worlds, store it as coordinate rows.
inline constexpr std::uint32_t kDenseTrafficMaxRanks = 64;

class RecordError : public std::runtime_error {
 public:
  enum class Kind {
    unreadable,         // missing file, no permission, I/O error
    not_hdf5,           // no HDF5 signature
    not_hpcmon,         // HDF5, but no hpcmon format attributes
    unsupported_major,  // a format major this reader does not know
    damaged,            // truncated or inconsistent
    write_failed,       // write_record could not create the file
  };
  RecordError(Kind kind, const std::string& one_line_message)
      : std::runtime_error(one_line_message), kind_(kind) {}
  Kind kind() const noexcept { return kind_; }

 private:
  Kind kind_;
};

const char* kind_name(RecordError::Kind kind);

// Writes atomically: a temporary name in the same folder, fsync, rename, fsync of the folder.
// Creates missing parent folders (mode 0750). The file gets mode 0640. Throws RecordError
// (write_failed) and leaves no temporary file behind. Series chunks are deflated on one
// helper thread besides the caller's, joined before returning (none if it cannot start).
void write_record(const std::filesystem::path& path, const record::JobRecord& rec);

// Like write_record, with `before_publish` run on the finished temporary (closed, not yet
// renamed): groups that other code writes (/trace copied from rank 0's record, /memory from the
// node partials) are added there, so the record appears whole at its rename. An exception
// from it removes the temporary and propagates.
void write_record(const std::filesystem::path& path, const record::JobRecord& rec,
                  const std::function<void(const std::filesystem::path& temporary)>& before_publish);

// Like write_record, but never replaces an existing file: the finished file is linked to
// `path` (atomic, fails if it exists) instead of renamed. Returns false, leaving nothing
// behind, when `path` already exists; callers pick the next run number and retry.
bool write_record_if_absent(const std::filesystem::path& path, const record::JobRecord& rec);
// The same with the optional /trace group, pulled from `trace` chunk by chunk while the file
// is written (hpcmon/trace.hpp). The source is consumed: a refused link loses it.
bool write_record_if_absent(const std::filesystem::path& path, const record::JobRecord& rec, TraceSource* trace);

// Reads a record of any minor version of kFormatMajor. Throws RecordError, never crashes.
record::JobRecord read_record(const std::filesystem::path& path);

// Format version of a readable record, without reading its tables.
struct FormatVersion {
  unsigned major = 0, minor = 0;
};
FormatVersion read_format_version(const std::filesystem::path& path);

// Merges partial records of one step (docs/job-record.md, "Merge"): rows are deduplicated by
// their key, a conflicting duplicate is taken from the part with the latest job end time
// (later parts win ties), missing ranks set `partial` with reason "missing ranks 6-7".
// Exit status and end time come from node partials (has_mpi == false) when there are any.
record::JobRecord merge(const std::vector<record::JobRecord>& parts);

// Problems a reader can parse but should not trust: duplicate keys, ranks out of range,
// rows naming unknown ranks, time going backwards. Empty when the record is consistent.
std::vector<std::string> check_consistency(const record::JobRecord& rec);

// File name of a record without ".h5": "<cluster>.<job>.<step>.r<restart>.<run>", each part
// restricted to [A-Za-z0-9_+-] (anything else becomes '-').
std::string record_stem(const record::RecordKey& key);

// <dir>/<user>/<YYYY>/<MM>/<DD>/<stem>.h5, the date being the UTC date of start_ns.
std::filesystem::path record_path(const std::filesystem::path& record_dir, const std::string& user,
                                  std::int64_t start_ns, const record::RecordKey& key);
// The node partial beside it: <dir>/<user>/<YYYY>/<MM>/<DD>/<stem>.<node>.part.h5
std::filesystem::path node_partial_path(const std::filesystem::path& record_dir,
                                        const std::string& user, std::int64_t start_ns,
                                        const record::RecordKey& key, const std::string& node);

// "0-3, 5, 7-9" for a sorted list of ranks.
std::string format_rank_ranges(const std::vector<std::int32_t>& sorted_ranks);

// One metric across ranks. imbalance = max / mean (1 when mean is 0).
struct MetricStat {
  std::string name;
  std::string unit;
  double min = 0, mean = 0, max = 0, imbalance = 1;
  std::int32_t min_rank = -1, max_rank = -1;
};

// One MPI function summed over ranks.
struct FunctionStat {
  std::string function;
  std::uint64_t calls = 0, bytes = 0, errors = 0;
  double total_s = 0;
  double fraction_of_mpi = 0;  // of all ranks' time in MPI
  double max_rank_s = 0;       // largest one-rank total
};

struct Summary {
  std::uint32_t ranks = 0;          // rank rows present
  double wall_s = 0;                // (end - start) of the step, else the longest rank
  double mpi_fraction = 0;          // sum of mpi_s / sum of wall_s over ranks
  double cpu_used_s = 0;            // sum of user + sys CPU over ranks
  double cpu_available_s = 0;       // allocated cores * wall_s
  double cpu_efficiency = 0;        // used / available, 0 when unknown
  std::uint64_t mem_hwm_bytes = 0;  // sum of ranks' RSS high-water (upper bound of the peak)
  std::uint64_t mem_requested_bytes = 0;
  double mem_efficiency = 0;        // hwm / requested, 0 when unknown
  std::vector<MetricStat> metrics;  // wall_s, user_cpu_s, sys_cpu_s, cpu_s, mpi_s,
                                    // mpi_fraction, rss_hwm_bytes, then every counter
  std::vector<FunctionStat> functions;  // by total_s, largest first
  std::vector<std::string> warnings;    // one line each
};

Summary summarize(const record::JobRecord& rec);

// Thresholds for summary warnings.
inline constexpr double kWarnMpiFraction = 0.30;
inline constexpr double kWarnImbalance = 1.25;
inline constexpr double kWarnCpuEfficiency = 0.50;

}  // namespace hpcmon::store
