// hpcmon trace: the optional /trace group of a job record (docs/tracing.md) — every rank's
// MPI calls as events, times on rank 0's clock — written chunk by chunk and read in slices.
//
// What it is: the in-memory event model, the source the writer pulls chunks from (rank 0 of
// a traced run pulls them from the other ranks over MPI), and a reader that never loads the
// whole trace. What it owns: the /trace layout. What it must never do: hold a job's whole
// trace in memory on the writing side.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace hpcmon::record {

struct TraceEvent {
  std::int32_t rank = 0;
  std::uint8_t thread = 0;      // thread slot of the rank
  std::uint16_t function = 0;   // index into TraceInfo::function_names
  std::int32_t peer = -1;       // world rank; -1: none, any source, or another MPI world
  std::int32_t tag = -1;        // -1: none
  std::uint32_t comm = 0;       // 0: MPI_COMM_WORLD, else a per-rank communicator slot id; 0xffffffff: none
  std::uint64_t bytes = 0;
  std::int64_t start_ns = 0, end_ns = 0;  // ns since the Unix epoch, on rank 0's clock
};

// Per rank: events kept, events dropped because the buffer was full, the buffer's capacity.
struct TraceRank {
  std::int32_t rank = 0;
  std::uint64_t recorded = 0, dropped = 0, capacity = 0;
};

}  // namespace hpcmon::record

namespace hpcmon::store {

// Pulled by the writer until it returns false. Each rank's events arrive in its own order.
class TraceSource {
 public:
  virtual ~TraceSource() = default;
  virtual std::vector<std::string> function_names() const = 0;
  // Replaces `events` with the next chunk; false (and no events) when every rank is done.
  virtual bool next(std::vector<record::TraceEvent>& events) = 0;
  // Every rank's counts, complete once next() returned false.
  virtual std::vector<record::TraceRank> ranks() const = 0;
};

// What the writer stores as /trace's `policy` attribute.
inline constexpr const char* kTracePolicy = "stop_when_full";

struct TraceInfo {
  bool present = false;  // the record has a /trace group
  std::string policy;
  std::vector<std::string> function_names;
  std::vector<record::TraceRank> ranks;
  std::uint64_t events = 0, dropped = 0;
};

// Copies /trace of the record `from` into the record `to` (which has none) as it is stored
// (H5Ocopy: chunks are copied, not decompressed). False, and `to` unchanged, when `from` has
// no /trace. Throws RecordError: `from` unreadable or damaged, `to` not writable.
bool copy_trace(const std::filesystem::path& from, const std::filesystem::path& to);

// Reads /trace of a record in slices. Throws RecordError like read_record.
class TraceReader {
 public:
  explicit TraceReader(const std::filesystem::path& path);
  ~TraceReader();
  TraceReader(const TraceReader&) = delete;
  TraceReader& operator=(const TraceReader&) = delete;
  const TraceInfo& info() const { return info_; }
  // Events [offset, offset + count) in stored order (rank after rank), clipped to the end.
  std::vector<record::TraceEvent> read(std::uint64_t offset, std::uint64_t count) const;

 private:
  std::filesystem::path path_;
  long long file_ = -1;  // hid_t
  TraceInfo info_;
};

}  // namespace hpcmon::store
