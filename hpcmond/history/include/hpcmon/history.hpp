// hpcmon history: the head daemon's embedded time-series store (no external server).
// What it is: series named by a metric and labels (node, job, step, device, ...), samples
// appended through a write-ahead log with group commit, kept in Gorilla-compressed chunks
// (delta-of-delta times, XOR values), flushed into immutable block files, downsampled into
// coarser tiers (min/max/sum/count per bucket) and expired per tier (docs/history.md).
// What it owns: everything under its directory (wal/, blocks of every tier); the durability
// promise: an append that returned `stored` survives SIGKILL (with sync mode `always`).
// What it must never do: acknowledge a write it could not log, leave a half-written block
// visible (tmp + fsync + rename + fsync of the folder), grow past max_disk_bytes, or throw
// out of append (a full disk is a state: writes refused, counted, logged once).
// Used by: hpcmond head (api_history.cpp feeds and serves it), the alert engine (latest()).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace hpcmon::history {

using Labels = std::map<std::string, std::string>;  // sorted by name; empty values are dropped

// One resolution of the store: raw samples (resolution 0) or buckets of `resolution_ns`,
// each kept for `retention_ns`.
struct Tier {
  std::int64_t resolution_ns = 0;
  std::int64_t retention_ns = 0;
  bool operator==(const Tier&) const = default;
};

// "raw:7d", "1m:90d", "1h:5y" (units s, m, h, d, w, y = 365 d). Nothing on bad text.
std::optional<Tier> parse_tier(const std::string& text);
// Empty when `tiers` is usable (first raw, resolutions and retentions increasing), else why not.
std::string check_tiers(const std::vector<Tier>& tiers);
std::vector<Tier> default_tiers();  // raw 7 d, 1 min 90 d, 1 h 5 y

enum class SyncMode {
  always,    // fdatasync of the log before append() returns (group commit across callers)
  periodic,  // fdatasync every sync_interval; a crash may lose that much
  none,      // left to the kernel
};

struct Options {
  std::filesystem::path dir;
  std::vector<Tier> tiers = default_tiers();
  std::uint64_t max_disk_bytes = 0;  // 0: only the filesystem's own limit
  SyncMode sync = SyncMode::always;
  std::int64_t sync_interval_ns = 1'000'000'000;
  std::int64_t block_ns = 2LL * 3600 * 1'000'000'000;  // span of the in-memory head before a flush
  double maintenance_interval_s = 30;  // flush/downsample/expire thread period; 0: none (call maintain())
  std::function<std::int64_t()> clock;           // ns since the epoch; default the system clock
  std::function<void(const std::string&)> log;   // one line per state change; default stderr
};

// Matches a series: its metric (exactly, or by prefix) and every label matcher.
struct LabelMatcher {
  enum class Op { equal, not_equal, prefix };
  std::string label;
  std::string value;
  Op op = Op::equal;  // a missing label is the empty string
};
struct Selector {
  std::string metric;          // empty: every metric
  bool metric_prefix = false;  // true: `metric` is a name prefix
  std::vector<LabelMatcher> labels;
};

// A point of a range query. Raw: min = max = avg = value, count 1. Aggregated (a step, or a
// downsampled tier): over the bucket that starts at t_ns.
struct Point {
  std::int64_t t_ns = 0;
  double avg = 0, min = 0, max = 0;
  std::uint64_t count = 0;
};

struct Series {
  std::string metric;
  Labels labels;
  std::vector<Point> points;  // oldest first, at most one per step
};

struct Latest {
  std::string metric;
  Labels labels;
  std::int64_t t_ns = 0;
  double value = 0;
};

struct RangeResult {
  std::vector<Series> series;
  std::int64_t resolution_ns = 0;  // of the tier that answered (0: raw)
};

struct Stats {
  std::uint64_t series = 0;
  std::uint64_t samples_appended = 0;      // acknowledged samples since start
  std::uint64_t appends_refused = 0;       // append() calls refused (full disk, I/O error)
  std::uint64_t samples_refused = 0;
  std::uint64_t wal_syncs = 0;             // fdatasync calls of the log (group commits)
  std::uint64_t wal_bytes = 0, block_bytes = 0;  // on disk now
  std::uint64_t blocks = 0;
  std::uint64_t head_samples = 0;          // in memory, not yet in a block
  std::uint64_t replayed_samples = 0;      // read back from the log at open
  std::uint64_t torn_wal_bytes = 0;        // dropped from a torn or damaged log tail at open
  std::uint64_t flushes = 0, compactions = 0, expired_blocks = 0;
  bool disk_full = false;                  // writes are being refused now
  std::string last_error;                  // of the last refused write or failed flush
};

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};
// Another process holds the folder (its LOCK file): two writers would corrupt the log.
class StoreLocked : public StoreError {
 public:
  using StoreError::StoreError;
};

using SeriesRef = std::uint32_t;

struct Write {
  SeriesRef series = 0;
  std::int64_t t_ns = 0;
  double value = 0;
};

class Store {
 public:
  // Creates the folder if needed, locks it (flock on <dir>/LOCK), loads blocks, replays the
  // log (a torn tail is dropped and counted). Throws StoreLocked when another process holds
  // the folder, StoreError when it cannot be used.
  static std::unique_ptr<Store> open(Options options);
  virtual ~Store() = default;

  // The reference of a series (created on first use; stable while the store is open).
  virtual SeriesRef series(const std::string& metric, const Labels& labels) = 0;
  // Logs and stores a batch; true once it is as durable as the sync mode promises. False:
  // refused (disk full or I/O error; nothing of the batch is stored), counted in stats().
  virtual bool append(std::span<const Write> batch) = 0;

  // Series matching `selector` with points in [start_ns, end_ns]. step_ns <= 0: the raw tier's
  // samples. step_ns > 0: at most one point per bucket [start + k*step, start + (k+1)*step),
  // aggregated, from the coarsest tier whose resolution is at most the step and that still
  // holds `start` (else the finest tier that holds it, else the coarsest).
  virtual RangeResult range(const Selector& selector, std::int64_t start_ns, std::int64_t end_ns,
                            std::int64_t step_ns) const = 0;
  // For the alert engine: the latest sample of every series matching `selector`.
  virtual std::vector<Latest> latest(const Selector& selector) const = 0;

  // Flushes the head when it spans block_ns (or always with force), downsamples, merges small
  // blocks, expires blocks past their tier's retention. The maintenance thread calls it.
  virtual void maintain(bool force_flush = false) = 0;
  virtual Stats stats() const = 0;
  virtual const Options& options() const = 0;
};

// True when `selector` matches the series.
bool matches(const Selector& selector, const std::string& metric, const Labels& labels);

}  // namespace hpcmon::history
