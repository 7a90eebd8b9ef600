// Reader of a live-table file (include/hpcmon/live_table.hpp). Reads with pread into private
// buffers, twice: a row (or the control block with the series) is consistent when both
// copies are identical and its sequence word is even; otherwise that part is read again.
#include "hpcmon/live_table.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <map>

#include "live_table_format.hpp"

namespace hpcmon::live {
namespace {

namespace fmt = format;

constexpr int kRetries = 200;

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) close(fd);
  }
};

[[noreturn]] void fail(const std::string& label, const std::string& why) {
  throw LiveTableError("live table " + label + ": " + why);
}

void read_exact(int fd, const std::string& label, void* buf, std::size_t n, std::uint64_t offset) {
  auto* p = static_cast<char*>(buf);
  while (n > 0) {
    ssize_t got = pread(fd, p, n, static_cast<off_t>(offset));
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) fail(label, std::string("read failed: ") + std::strerror(errno));
    if (got == 0) fail(label, "file shrank while being read (truncated)");
    p += got;
    n -= static_cast<std::size_t>(got);
    offset += static_cast<std::uint64_t>(got);
  }
}

std::uint64_t word(const char* p) {
  std::uint64_t v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

std::string bounded(const char* s, std::size_t cap) { return std::string(s, strnlen(s, cap)); }

bool fits(std::uint64_t offset, std::uint64_t count, std::uint64_t stride, std::uint64_t size) {
  if (stride != 0 && count > (size / stride) + 1) return false;
  std::uint64_t end = offset + count * stride;
  return end >= offset && end <= size;
}

void validate(const fmt::Header& h, std::uint64_t file_size, const std::string& label) {
  if (std::memcmp(h.magic, fmt::kMagic, sizeof h.magic) != 0) fail(label, "not an hpcmon live table (bad magic)");
  if (h.version_major != fmt::kVersionMajor)
    fail(label, "unsupported format version " + std::to_string(h.version_major) + "." +
                    std::to_string(h.version_minor) + " (this reader knows " + std::to_string(fmt::kVersionMajor) +
                    ".x)");
  if (h.header_size < sizeof(fmt::Header) || h.header_size > file_size) fail(label, "bad header size");
  if (h.file_size != file_size)
    fail(label, "size " + std::to_string(file_size) + " differs from the header's " + std::to_string(h.file_size) +
                    " (truncated or still being created)");
  if (h.function_count > fmt::kMaxFunctions || h.size_bins > fmt::kMaxSizeBins || h.thread_count > fmt::kMaxThreads ||
      h.traffic_slots > fmt::kMaxTrafficSlots || h.series_cap > fmt::kMaxSeriesPoints ||
      h.counter_count > fmt::kCounterSlots)
    fail(label, "table dimensions out of range");
  if (h.fn_stride < (fmt::kFnRowFixedWords + h.size_bins) * 8 || h.traffic_stride < sizeof(fmt::TrafficRow) ||
      h.point_size < sizeof(fmt::SeriesPoint))
    fail(label, "row sizes too small for this format version");
  if (!fits(h.names_offset, h.function_count, fmt::kNameLen, file_size) ||
      !fits(h.series_offset, h.series_cap, h.point_size, file_size) ||
      !fits(h.threads_offset, h.thread_count, h.thread_stride, file_size))
    fail(label, "a region lies outside the file");
  if (h.series_offset < h.header_size || h.threads_offset < h.series_offset) fail(label, "regions out of order");
  if (!fits(h.fn_offset, h.function_count, h.fn_stride, h.thread_stride) ||
      !fits(h.traffic_offset, h.traffic_slots, h.traffic_stride, h.thread_stride) ||
      !fits(h.tally_offset, 1, sizeof(fmt::ThreadTally), h.thread_stride))
    fail(label, "a thread region lies outside its block");
  if (h.series_cap == 0 || h.thread_count == 0) fail(label, "empty table dimensions");
}

// Reads [offset, offset+n) twice; returns the parts whose two copies agree.
struct DoubleRead {
  std::vector<char> a, b;
  void read(int fd, const std::string& label, std::uint64_t offset, std::size_t n) {
    a.resize(n);
    b.resize(n);
    read_exact(fd, label, a.data(), n, offset);
    read_exact(fd, label, b.data(), n, offset);
  }
};

// A row at `pos` of a region read twice: stable when both copies agree and its seq is even;
// else re-read that row alone until it is (or retries run out: then taken as torn).
bool settle_row(int fd, const std::string& label, DoubleRead& r, std::size_t pos, std::size_t len,
                std::uint64_t file_offset) {
  auto stable = [&] { return std::memcmp(&r.a[pos], &r.b[pos], len) == 0 && (word(&r.b[pos]) & 1) == 0; };
  for (int i = 0; i < kRetries && !stable(); ++i) {
    if (i > 8) sched_yield();
    read_exact(fd, label, &r.a[pos], len, file_offset + pos);
    read_exact(fd, label, &r.b[pos], len, file_offset + pos);
  }
  return stable();
}

Snapshot read_checked(int fd, const std::string& label, const ReadOptions& options) {
  struct stat st {};
  if (fstat(fd, &st) != 0) fail(label, std::string("fstat failed: ") + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) fail(label, "not a regular file");
  if (options.expected_owner >= 0 && static_cast<long long>(st.st_uid) != options.expected_owner)
    fail(label, "owned by uid " + std::to_string(st.st_uid) + ", expected " + std::to_string(options.expected_owner));
  const auto file_size = static_cast<std::uint64_t>(st.st_size);
  if (file_size < fmt::kHeaderSize) fail(label, "too short for a live table (" + std::to_string(file_size) + " bytes)");
  if (file_size > fmt::kMaxFileSize) fail(label, "larger than any live table");

  fmt::Header h{};
  read_exact(fd, label, &h, sizeof h, 0);
  validate(h, file_size, label);

  Snapshot snap;
  // Header, names and series: one region under control_seq.
  DoubleRead front;
  const std::size_t front_len = h.threads_offset;
  bool control_torn = false;
  for (int i = 0;; ++i) {
    front.read(fd, label, 0, front_len);
    const bool same = std::memcmp(front.a.data(), front.b.data(), front_len) == 0;
    const std::uint64_t seq = word(&front.b[offsetof(fmt::Header, control_seq)]);
    if (same && (seq & 1) == 0) break;
    if (i >= kRetries) {
      control_torn = true;
      break;
    }
    if (i > 8) sched_yield();
  }
  std::memcpy(&h, front.b.data(), sizeof h);
  validate(h, file_size, label);  // fields may have changed between the first read and now

  snap.version_major = h.version_major;
  snap.version_minor = h.version_minor;
  snap.state = h.state == fmt::kRunning     ? State::running
               : h.state == fmt::kFinalized ? State::finalized
               : h.state == fmt::kAborted   ? State::aborted
                                            : State::initializing;
  snap.job_key = bounded(h.job_key, sizeof h.job_key);
  snap.step = bounded(h.step, sizeof h.step);
  snap.node = bounded(h.node, sizeof h.node);
  snap.rank = h.rank;
  snap.world_size = h.world_size;
  snap.pid = h.pid;
  snap.start_ns = h.start_ns;
  snap.end_ns = h.end_ns;
  snap.updated_ns = h.updated_ns;
  snap.interval_ns = static_cast<std::int64_t>(h.interval_ns);
  snap.threads_used = std::min<std::uint64_t>(h.threads_used, h.thread_count);
  snap.untracked_calls = h.untracked_calls;
  snap.series_cap = h.series_cap;
  snap.series_step_ns = h.series_step_ns;
  snap.decimations = h.decimations;
  snap.torn_rows = control_torn ? 1 : 0;
  for (std::uint32_t c = 0; c < h.counter_count; ++c)
    snap.counter_names.push_back(bounded(h.counter_names[c], fmt::kCounterNameLen));
  const double ns_per_tick = h.ns_per_tick > 0 && h.ns_per_tick < 1e6 ? h.ns_per_tick : 0.0;

  const std::uint64_t points = std::min<std::uint64_t>(h.series_count, h.series_cap);
  for (std::uint64_t i = 0; i < points; ++i) {
    fmt::SeriesPoint p{};
    std::memcpy(&p, &front.b[h.series_offset + i * h.point_size], sizeof p);
    SamplePoint s;
    s.t_ns = p.t_ns;
    s.rss_bytes = p.rss_bytes;
    s.mpi_calls = p.mpi_calls;
    s.mpi_s = double(p.mpi_ns) * 1e-9;
    s.user_cpu_s = double(p.user_cpu_ns) * 1e-9;
    s.sys_cpu_s = double(p.sys_cpu_ns) * 1e-9;
    s.counters.assign(p.counters, p.counters + h.counter_count);
    snap.series.push_back(std::move(s));
  }

  // Thread blocks: only those claimed so far (unclaimed ones are all zero).
  std::vector<FunctionCounts> merged(h.function_count);
  std::vector<bool> seen(h.function_count, false);
  std::map<std::uint64_t, PeerTraffic> peers;
  std::uint64_t ticks_in_mpi = 0;
  DoubleRead block;
  for (std::uint64_t t = 0; t < snap.threads_used; ++t) {
    const std::uint64_t base = h.threads_offset + t * h.thread_stride;
    block.read(fd, label, base, h.thread_stride);
    for (std::uint32_t f = 0; f < h.function_count; ++f) {
      const std::size_t pos = h.fn_offset + std::size_t(f) * h.fn_stride;
      const std::size_t len = (fmt::kFnRowFixedWords + h.size_bins) * 8;
      if (word(&block.b[pos + 8]) == 0 && word(&block.a[pos + 8]) == 0) continue;  // never called here
      if (!settle_row(fd, label, block, pos, len, base)) ++snap.torn_rows;
      fmt::FnRow row{};
      std::memcpy(&row, &block.b[pos], sizeof row);
      if (row.calls == 0) continue;
      FunctionCounts& m = merged[f];
      const double mn = double(row.min_ticks) * ns_per_tick * 1e-9, mx = double(row.max_ticks) * ns_per_tick * 1e-9;
      m.min_s = seen[f] ? std::min(m.min_s, mn) : mn;
      m.max_s = std::max(m.max_s, mx);
      seen[f] = true;
      m.calls += row.calls;
      m.bytes += row.bytes;
      m.errors += row.errors;
      m.total_s += double(row.ticks) * ns_per_tick * 1e-9;
      m.size_hist.resize(h.size_bins);
      for (std::uint32_t b = 0; b < h.size_bins; ++b) m.size_hist[b] += word(&block.b[pos + (fmt::kFnRowFixedWords + b) * 8]);
    }
    for (std::uint32_t s = 0; s < h.traffic_slots; ++s) {
      const std::size_t pos = h.traffic_offset + std::size_t(s) * h.traffic_stride;
      if (word(&block.b[pos + 8]) == 0 && word(&block.a[pos + 8]) == 0) continue;  // empty slot
      if (!settle_row(fd, label, block, pos, sizeof(fmt::TrafficRow), base)) ++snap.torn_rows;
      fmt::TrafficRow row{};
      std::memcpy(&row, &block.b[pos], sizeof row);
      if (row.key_plus1 == 0) continue;
      const std::uint64_t key = row.key_plus1 - 1;
      PeerTraffic& p = peers[key];
      p.world = std::uint32_t(key >> 32);
      p.peer = std::int32_t(std::uint32_t(key));
      p.messages += row.messages;
      p.bytes += row.bytes;
    }
    fmt::ThreadTally tally{};
    std::memcpy(&tally, &block.b[h.tally_offset], sizeof tally);
    ticks_in_mpi += tally.ticks_in_mpi;
    snap.overflows += tally.overflows;
  }
  snap.mpi_s = double(ticks_in_mpi) * ns_per_tick * 1e-9;
  for (std::uint32_t f = 0; f < h.function_count; ++f) {
    if (!seen[f]) continue;
    merged[f].name = bounded(&front.b[h.names_offset + std::size_t(f) * fmt::kNameLen], fmt::kNameLen);
    snap.total_calls += merged[f].calls;
    snap.functions.push_back(std::move(merged[f]));
  }
  for (auto& [key, p] : peers) snap.traffic.push_back(p);
  return snap;
}

}  // namespace

const char* state_name(State s) {
  switch (s) {
    case State::initializing: return "initializing";
    case State::running: return "running";
    case State::finalized: return "finalized";
    case State::aborted: return "aborted";
  }
  return "unknown";
}

const FunctionCounts* Snapshot::function(const std::string& name) const {
  for (const FunctionCounts& f : functions)
    if (f.name == name) return &f;
  return nullptr;
}

Snapshot read_live_table_fd(int fd, const std::string& label, const ReadOptions& options) {
  return read_checked(fd, label, options);
}

Snapshot read_live_table_at(int dir_fd, const std::string& name, const ReadOptions& options) {
  Fd f;
  f.fd = openat(dir_fd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (f.fd < 0) fail(name, std::string("cannot open: ") + std::strerror(errno));
  return read_checked(f.fd, name, options);
}

Snapshot read_live_table(const std::string& path, const ReadOptions& options) {
  return read_live_table_at(AT_FDCWD, path, options);
}

std::vector<std::string> list_live_tables(const std::string& run_dir) {
  std::vector<std::string> names;
  DIR* d = opendir(run_dir.c_str());
  if (!d) return names;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n.size() > 9 && n.compare(0, 4, "mpi-") == 0 && n.compare(n.size() - 5, 5, ".live") == 0) names.push_back(n);
  }
  closedir(d);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace hpcmon::live
