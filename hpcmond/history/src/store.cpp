// The history store (history.hpp): series table, in-memory head, log, blocks, tiers.
// Locks: gate_ (appends shared, a flush's rotate-and-freeze exclusive) before data_ (series
// table, head, frozen heads, blocks). The log has its own lock and never takes these.
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <set>
#include <shared_mutex>
#include <thread>
#include <unordered_map>

#include "block.hpp"
#include "gorilla.hpp"
#include "hpcmon/history.hpp"
#include "io.hpp"
#include "wal.hpp"

namespace hpcmon::history {
namespace {

constexpr std::int64_t kMs = 1'000'000;
constexpr std::uint32_t kChunkRows = 4096;
constexpr std::uint64_t kHeadSampleCap = 16'000'000;  // flush early past this many samples
constexpr std::size_t kMaxSeries = 1u << 21;

std::int64_t to_ms(std::int64_t ns) { return ns >= 0 ? ns / kMs : -((-ns + kMs - 1) / kMs); }
std::int64_t floor_to(std::int64_t t, std::int64_t unit) {
  const std::int64_t q = t >= 0 ? t / unit : -((-t + unit - 1) / unit);
  return q * unit;
}

std::string encode_key(const std::string& metric, const Labels& labels) {
  std::string key = metric;
  for (const auto& [name, value] : labels) {
    if (value.empty()) continue;
    key += '\0';
    key += name;
    key += '\0';
    key += value;
  }
  return key;
}

bool decode_key(const std::string& key, std::string& metric, Labels& labels) {
  std::vector<std::string> parts;
  std::size_t begin = 0;
  for (;;) {
    const auto zero = key.find('\0', begin);
    parts.push_back(key.substr(begin, zero == std::string::npos ? std::string::npos : zero - begin));
    if (zero == std::string::npos) break;
    begin = zero + 1;
  }
  if (parts.size() % 2 != 1) return false;
  metric = parts[0];
  labels.clear();
  for (std::size_t i = 1; i + 1 < parts.size(); i += 2) labels[parts[i]] = parts[i + 1];
  return true;
}

struct SeriesState {
  std::string metric;
  Labels labels;
  std::string key;
  std::vector<gorilla::Encoder> head;  // chunks not yet in a block
  bool has_last = false;
  std::int64_t last_t_ms = 0;
  double last_value = 0;
};

// A head taken out of service by a flush, kept (and queried) until its blocks are written.
struct Frozen {
  std::uint64_t src_min = 0, src_max = 0;
  std::vector<std::pair<std::string, std::vector<gorilla::Encoder>>> chunks;  // key -> chunks
};

void decode_chunks(const std::vector<gorilla::Encoder>& chunks, std::int64_t from_ms, std::int64_t to_ms,
                   std::vector<Row>& out) {
  for (const auto& chunk : chunks) {
    if (chunk.count() == 0 || chunk.last_t() < from_ms || chunk.first_t() > to_ms) continue;
    gorilla::Decoder decoder(chunk.bytes().data(), chunk.bytes().size(), chunk.count(), 1);
    Row row;
    while (decoder.next(row.t_ms, row.v))
      if (row.t_ms >= from_ms && row.t_ms <= to_ms) out.push_back(row);
  }
}

// Sorts raw rows by time and keeps the first of equal times (a resent push).
void sort_unique_raw(std::vector<Row>& rows) {
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.t_ms < b.t_ms; });
  rows.erase(std::unique(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.t_ms == b.t_ms; }),
             rows.end());
}

// Aggregated rows (min, max, sum, count) of raw rows, one per bucket of `resolution_ms`.
void aggregate(const std::vector<Row>& raw, std::int64_t resolution_ms, std::vector<Row>& out) {
  for (const Row& row : raw) {
    const std::int64_t bucket = floor_to(row.t_ms, resolution_ms);
    if (!out.empty() && out.back().t_ms == bucket) {
      Row& agg = out.back();
      agg.v[0] = std::min(agg.v[0], row.v[0]);
      agg.v[1] = std::max(agg.v[1], row.v[0]);
      agg.v[2] += row.v[0];
      agg.v[3] += 1;
    } else {
      out.push_back(Row{bucket, {row.v[0], row.v[0], row.v[0], 1}});
    }
  }
}

// Sorts aggregated rows and combines rows of the same bucket.
void sort_combine_agg(std::vector<Row>& rows) {
  std::stable_sort(rows.begin(), rows.end(), [](const Row& a, const Row& b) { return a.t_ms < b.t_ms; });
  std::size_t out = 0;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (out > 0 && rows[out - 1].t_ms == rows[i].t_ms) {
      Row& agg = rows[out - 1];
      agg.v[0] = std::min(agg.v[0], rows[i].v[0]);
      agg.v[1] = std::max(agg.v[1], rows[i].v[1]);
      agg.v[2] += rows[i].v[2];
      agg.v[3] += rows[i].v[3];
    } else {
      rows[out++] = rows[i];
    }
  }
  rows.resize(out);
}

class StoreImpl final : public Store {
 public:
  explicit StoreImpl(Options options) : options_(std::move(options)) {
    if (!options_.clock)
      options_.clock = [] {
        return std::chrono::duration_cast<std::chrono::nanoseconds>(
                   std::chrono::system_clock::now().time_since_epoch()).count();
      };
    if (!options_.log) options_.log = [](const std::string& line) { std::fprintf(stderr, "hpcmond: %s\n", line.c_str()); };
    table_ = static_cast<std::atomic<SeriesState*>*>(std::calloc(kMaxSeries, sizeof(std::atomic<SeriesState*>)));
    if (!table_) throw StoreError("history: out of memory");
  }

  ~StoreImpl() override {
    {
      std::lock_guard lock(thread_mutex_);
      stopping_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
    wal_.reset();
    const std::uint32_t count = series_count_.load();
    for (std::uint32_t i = 0; i < count; ++i) delete table_[i].load();
    std::free(table_);
    if (lock_fd_ >= 0) ::close(lock_fd_);  // releases the flock
  }

  void open() {
    if (std::string why = check_tiers(options_.tiers); !why.empty()) throw StoreError("history tiers: " + why);
    std::error_code ec;
    std::filesystem::create_directories(options_.dir / "wal", ec);
    if (ec) throw StoreError("history: cannot create " + (options_.dir / "wal").string() + ": " + ec.message());
    lock_fd_ = ::open((options_.dir / "LOCK").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (lock_fd_ < 0) throw StoreError("history: cannot open " + (options_.dir / "LOCK").string() + ": " + std::strerror(errno));
    if (::flock(lock_fd_, LOCK_EX | LOCK_NB) != 0)
      throw StoreLocked("history: " + options_.dir.string() + " is in use by another process (LOCK held)");
    for (const Tier& tier : options_.tiers) {
      std::filesystem::create_directories(options_.dir / tier_folder(tier.resolution_ns), ec);
      if (ec) throw StoreError("history: cannot create folder in " + options_.dir.string() + ": " + ec.message());
    }
    load_blocks();
    const std::filesystem::path wal_dir = options_.dir / "wal";
    std::vector<std::uint64_t> segments = Wal::segments(wal_dir);
    std::uint64_t next = 1;
    for (auto segment : segments) next = std::max(next, segment + 1);
    for (const auto& block : blocks_) next = std::max(next, block->name.src_max + 1);
    // A segment inside a raw block's range was committed: its samples are in blocks.
    std::vector<std::uint64_t> live;
    for (auto segment : segments) {
      const bool committed = std::any_of(blocks_.begin(), blocks_.end(), [&](const auto& block) {
        return block->name.resolution_ns == 0 && block->name.src_min <= segment && segment <= block->name.src_max;
      });
      if (committed) ::unlink(Wal::segment_path(wal_dir, segment).c_str());
      else live.push_back(segment);
    }
    // Downsampled blocks of an uncommitted flush are rebuilt from the replayed log.
    std::erase_if(blocks_, [&](const std::shared_ptr<const Block>& block) {
      const bool orphan = std::any_of(live.begin(), live.end(), [&](std::uint64_t segment) {
        return block->name.src_min <= segment && segment <= block->name.src_max;
      });
      if (orphan) ::unlink(block->path.c_str());
      return orphan;
    });
    for (const auto& block : blocks_) register_block_series(*block);
    for (auto segment : live) {
      std::unordered_map<std::uint64_t, SeriesRef> ids;
      const std::uint64_t torn = Wal::replay(
          Wal::segment_path(wal_dir, segment),
          [&](std::uint64_t id, const std::string& key) { ids[id] = ensure_series(key); },
          [&](const WalSample& sample) {
            auto it = ids.find(sample.id);
            if (it == ids.end()) return;
            apply(it->second, sample.t_ms, sample.value);
            ++replayed_;
          });
      if (torn) {
        torn_bytes_ += torn;
        options_.log("history: dropped " + std::to_string(torn) + " torn or damaged bytes at the end of " +
                     Wal::segment_path(wal_dir, segment).string());
      }
    }
    head_first_segment_ = live.empty() ? next : live.front();
    wal_ = std::make_unique<Wal>(
        wal_dir, options_.sync, options_.sync_interval_ns,
        [this](SeriesRef ref) -> const std::string& { return table_[ref].load()->key; },
        [this](std::size_t bytes) -> std::string {
          if (options_.max_disk_bytes == 0) return "";
          const std::uint64_t used = block_bytes_.load() + wal_->bytes_written();
          if (used + bytes > options_.max_disk_bytes)
            return "history.max_disk_bytes (" + std::to_string(options_.max_disk_bytes) + ") reached";
          return "";
        });
    if (std::string why = wal_->start(next); !why.empty()) throw StoreError("history: " + why);
    head_started_ns_ = options_.clock();
    if (options_.maintenance_interval_s > 0) thread_ = std::thread([this] { loop(); });
  }

  SeriesRef series(const std::string& metric, const Labels& labels) override {
    return ensure_series(encode_key(metric, labels));
  }

  bool append(std::span<const Write> batch) override {
    if (batch.empty()) return true;
    std::vector<Write> rows(batch.begin(), batch.end());
    const std::uint32_t count = series_count_.load();
    for (Write& row : rows) {
      if (row.series >= count) return refuse(batch.size(), "unknown series reference");
      row.t_ns = to_ms(row.t_ns);  // the log and the chunks keep milliseconds
    }
    std::shared_lock gate(gate_);
    if (std::string why = wal_->commit(rows); !why.empty()) return refuse(batch.size(), why);
    {
      std::unique_lock data(data_);
      for (const Write& row : rows) apply(row.series, row.t_ns, row.value);
    }
    appended_ += batch.size();
    if (refusing_.load()) {
      std::lock_guard lock(state_mutex_);
      if (refusing_.exchange(false))
        options_.log("history: writes accepted again (" + std::to_string(refused_since_) + " refused meanwhile)");
    }
    return true;
  }

  RangeResult range(const Selector& selector, std::int64_t start_ns, std::int64_t end_ns,
                    std::int64_t step_ns) const override {
    RangeResult result;
    const std::int64_t now = options_.clock();
    const std::size_t tier = choose_tier(start_ns, step_ns, now);
    const Tier& chosen = options_.tiers[tier];
    result.resolution_ns = chosen.resolution_ns;
    const std::int64_t from_ms = std::max(to_ms(start_ns), to_ms(now - chosen.retention_ns));
    const std::int64_t to_ms_ = to_ms(end_ns);
    if (from_ms > to_ms_) return result;
    const std::int64_t resolution_ms = chosen.resolution_ns / kMs;
    // A bucket that starts before `start` but overlaps it counts (its row's time is its start).
    const std::int64_t lower_ms = resolution_ms ? floor_to(from_ms, resolution_ms) : from_ms;
    std::shared_lock data(data_);
    const std::uint32_t count = series_count_.load();
    for (std::uint32_t ref = 0; ref < count; ++ref) {
      const SeriesState& state = *table_[ref].load();
      if (!matches(selector, state.metric, state.labels)) continue;
      std::vector<Row> rows;
      for (const auto& block : blocks_)
        if (block->name.resolution_ns == chosen.resolution_ns && block->max_t_ms >= lower_ms && block->min_t_ms <= to_ms_)
          block->rows(state.key, lower_ms, to_ms_, rows);
      std::vector<Row> recent;
      for (const auto& frozen : frozen_)
        for (const auto& [key, chunks] : frozen->chunks)
          if (key == state.key) decode_chunks(chunks, lower_ms, to_ms_, recent);
      decode_chunks(state.head, lower_ms, to_ms_, recent);
      if (resolution_ms == 0) {
        rows.insert(rows.end(), recent.begin(), recent.end());
        sort_unique_raw(rows);
      } else {
        sort_unique_raw(recent);
        aggregate(recent, resolution_ms, rows);
        sort_combine_agg(rows);
      }
      if (rows.empty()) continue;
      Series series{state.metric, state.labels, {}};
      const bool raw = resolution_ms == 0;
      for (const Row& row : rows) {
        Point point = raw ? Point{row.t_ms * kMs, row.v[0], row.v[0], row.v[0], 1}
                          : Point{row.t_ms * kMs, row.v[3] > 0 ? row.v[2] / row.v[3] : 0, row.v[0], row.v[1],
                                  static_cast<std::uint64_t>(row.v[3])};
        if (step_ns > 0) {
          const std::int64_t bucket = start_ns + floor_to(std::max(point.t_ns, start_ns) - start_ns, step_ns);
          if (!series.points.empty() && series.points.back().t_ns == bucket) {
            Point& into = series.points.back();
            const double sum = into.avg * static_cast<double>(into.count) + point.avg * static_cast<double>(point.count);
            into.count += point.count;
            into.avg = into.count ? sum / static_cast<double>(into.count) : 0;
            into.min = std::min(into.min, point.min);
            into.max = std::max(into.max, point.max);
            continue;
          }
          point.t_ns = bucket;
        }
        series.points.push_back(point);
      }
      result.series.push_back(std::move(series));
    }
    return result;
  }

  std::vector<Latest> latest(const Selector& selector) const override {
    std::vector<Latest> out;
    std::shared_lock data(data_);
    const std::uint32_t count = series_count_.load();
    for (std::uint32_t ref = 0; ref < count; ++ref) {
      const SeriesState& state = *table_[ref].load();
      if (!state.has_last || !matches(selector, state.metric, state.labels)) continue;
      out.push_back({state.metric, state.labels, state.last_t_ms * kMs, state.last_value});
    }
    return out;
  }

  void maintain(bool force_flush) override {
    std::lock_guard maintaining(maintain_mutex_);
    wal_->sync_if_due();
    const std::int64_t now = options_.clock();
    if (force_flush || now - head_started_ns_ >= options_.block_ns || head_samples_.load() >= kHeadSampleCap)
      freeze(now);
    write_frozen(now);
    merge_blocks();
    expire(now);
  }

  Stats stats() const override {
    Stats stats;
    stats.series = series_count_.load();
    stats.samples_appended = appended_.load();
    stats.appends_refused = appends_refused_.load();
    stats.samples_refused = samples_refused_.load();
    stats.wal_syncs = wal_ ? wal_->syncs() : 0;
    std::error_code ec;
    for (auto segment : Wal::segments(options_.dir / "wal"))
      stats.wal_bytes += std::filesystem::file_size(Wal::segment_path(options_.dir / "wal", segment), ec);
    stats.block_bytes = block_bytes_.load();
    stats.head_samples = head_samples_.load();
    stats.replayed_samples = replayed_;
    stats.torn_wal_bytes = torn_bytes_;
    stats.flushes = flushes_.load();
    stats.compactions = compactions_.load();
    stats.expired_blocks = expired_.load();
    stats.disk_full = refusing_.load();
    {
      std::shared_lock data(data_);
      stats.blocks = blocks_.size();
    }
    std::lock_guard lock(state_mutex_);
    stats.last_error = last_error_;
    return stats;
  }

  const Options& options() const override { return options_; }

 private:
  bool refuse(std::size_t samples, const std::string& why) {
    ++appends_refused_;
    samples_refused_ += samples;
    std::lock_guard lock(state_mutex_);
    last_error_ = why;
    if (!refusing_.exchange(true)) {
      refused_since_ = 0;
      options_.log("history: writes refused (" + why + "); counted in hpcmon_history_writes_refused_total");
    }
    ++refused_since_;
    return false;
  }

  SeriesRef ensure_series(const std::string& key) {
    {
      std::shared_lock data(data_);
      auto it = by_key_.find(key);
      if (it != by_key_.end()) return it->second;
    }
    std::unique_lock data(data_);
    auto it = by_key_.find(key);
    if (it != by_key_.end()) return it->second;
    const std::uint32_t ref = series_count_.load();
    if (ref >= kMaxSeries) throw StoreError("history: too many series");
    auto* state = new SeriesState;
    decode_key(key, state->metric, state->labels);
    state->key = key;
    table_[ref].store(state);
    series_count_.store(ref + 1);
    by_key_.emplace(key, ref);
    return ref;
  }

  // Under data_ (or before the store is shared).
  void apply(SeriesRef ref, std::int64_t t_ms, double value) {
    SeriesState& state = *table_[ref].load();
    if (state.head.empty() || t_ms < state.head.back().last_t() || state.head.back().count() >= kChunkRows)
      state.head.emplace_back(1);
    state.head.back().append(t_ms, &value);
    if (!state.has_last || t_ms >= state.last_t_ms) {
      state.has_last = true;
      state.last_t_ms = t_ms;
      state.last_value = value;
    }
    ++head_samples_;
  }

  void register_block_series(const Block& block) {
    for (const BlockSeries& entry : block.series) {
      SeriesState& state = *table_[ensure_series(entry.key)].load();
      if (!state.has_last || entry.last_t_ms > state.last_t_ms ||
          (entry.last_t_ms == state.last_t_ms && block.name.resolution_ns == 0)) {
        state.has_last = true;
        state.last_t_ms = entry.last_t_ms;
        state.last_value = entry.last_value;
      }
    }
  }

  void load_blocks() {
    for (const Tier& tier : options_.tiers) {
      const std::filesystem::path folder = options_.dir / tier_folder(tier.resolution_ns);
      std::error_code ec;
      for (const auto& entry : std::filesystem::directory_iterator(folder, ec)) {
        const std::string file = entry.path().filename().string();
        if (file.ends_with(".tmp")) {
          ::unlink(entry.path().c_str());  // a write that never reached its rename
          continue;
        }
        BlockName name;
        if (!parse_block_file_name(file, name)) continue;
        auto block = std::make_shared<Block>();
        if (std::string why = load_block(entry.path(), *block); !why.empty()) {
          options_.log("history: block " + entry.path().string() + " not loaded: " + why);
          continue;
        }
        if (block->name.resolution_ns != tier.resolution_ns || block->name.src_min != name.src_min ||
            block->name.src_max != name.src_max || block->name.window_start_ms != name.window_start_ms) {
          options_.log("history: block " + entry.path().string() + " not loaded: header and name disagree");
          continue;
        }
        block_bytes_ += block->bytes.size();
        blocks_.push_back(std::move(block));
      }
    }
    // A merge that stopped before removing its inputs: inputs are inside the merged range.
    std::set<const Block*> covered;
    for (const auto& block : blocks_)
      for (const auto& other : blocks_)
        if (other != block && other->name.resolution_ns == block->name.resolution_ns &&
            other->name.window_start_ms == block->name.window_start_ms &&
            other->name.src_min <= block->name.src_min && block->name.src_max <= other->name.src_max &&
            (other->name.src_min != block->name.src_min || other->name.src_max != block->name.src_max))
          covered.insert(block.get());
    std::erase_if(blocks_, [&](const std::shared_ptr<const Block>& block) {
      if (!covered.count(block.get())) return false;
      block_bytes_ -= block->bytes.size();
      ::unlink(block->path.c_str());
      return true;
    });
  }

  std::size_t choose_tier(std::int64_t start_ns, std::int64_t step_ns, std::int64_t now) const {
    const auto& tiers = options_.tiers;
    if (step_ns <= 0) return 0;  // no step: raw samples, as far back as the raw tier keeps them
    auto holds = [&](std::size_t i) { return now - tiers[i].retention_ns <= start_ns; };
    std::optional<std::size_t> best;
    for (std::size_t i = 0; i < tiers.size(); ++i)
      if (tiers[i].resolution_ns <= std::max<std::int64_t>(step_ns, 0) && holds(i)) best = i;
    if (best) return *best;
    for (std::size_t i = 0; i < tiers.size(); ++i)
      if (holds(i)) return i;
    return tiers.size() - 1;
  }

  std::int64_t window_ms(std::int64_t resolution_ns) const {
    return resolution_ns == 0 ? std::max<std::int64_t>(options_.block_ns / kMs, 1) : resolution_ns / kMs * 1440;
  }

  void freeze(std::int64_t now) {
    std::unique_lock gate(gate_);
    head_started_ns_ = now;
    if (head_samples_.load() == 0) return;
    std::uint64_t closed = 0;
    if (std::string why = wal_->rotate(closed); !why.empty()) {
      note_error("history: flush postponed: " + why);
      return;
    }
    auto frozen = std::make_shared<Frozen>();
    frozen->src_min = head_first_segment_;
    frozen->src_max = closed;
    std::unique_lock data(data_);
    const std::uint32_t count = series_count_.load();
    for (std::uint32_t ref = 0; ref < count; ++ref) {
      SeriesState& state = *table_[ref].load();
      if (state.head.empty()) continue;
      frozen->chunks.emplace_back(state.key, std::move(state.head));
      state.head.clear();
    }
    head_first_segment_ = closed + 1;
    head_samples_ = 0;
    frozen_.push_back(std::move(frozen));
  }

  void note_error(const std::string& line) {
    std::lock_guard lock(state_mutex_);
    if (last_error_ != line) options_.log(line);
    last_error_ = line;
  }

  // Writes the blocks of each frozen head, downsampled tiers first and the raw tier last
  // (the raw block marks the flush as committed), then drops its log segments.
  void write_frozen(std::int64_t now) {
    for (;;) {
      std::shared_ptr<const Frozen> frozen;
      {
        std::shared_lock data(data_);
        if (frozen_.empty()) return;
        frozen = frozen_.front();
      }
      std::map<std::string, std::vector<Row>> raw;
      for (const auto& [key, chunks] : frozen->chunks) {
        std::vector<Row>& rows = raw[key];
        decode_chunks(chunks, std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max(), rows);
        sort_unique_raw(rows);
      }
      std::vector<std::shared_ptr<const Block>> written;
      std::string error;
      for (std::size_t t = options_.tiers.size(); t-- > 0 && error.empty();) {
        const Tier& tier = options_.tiers[t];
        const std::int64_t keep_from = to_ms(now - tier.retention_ns);
        const std::int64_t window = window_ms(tier.resolution_ns);
        std::map<std::int64_t, std::map<std::string, std::vector<Row>>> windows;
        for (const auto& [key, rows] : raw) {
          std::vector<Row> kept;
          for (const Row& row : rows)
            if (row.t_ms >= keep_from) kept.push_back(row);
          if (tier.resolution_ns != 0) {
            std::vector<Row> agg;
            aggregate(kept, tier.resolution_ns / kMs, agg);
            kept.swap(agg);
          }
          for (const Row& row : kept) windows[floor_to(row.t_ms, window)][key].push_back(row);
        }
        for (const auto& [start, series] : windows) {
          BlockName name{tier.resolution_ns == 0 ? 1 : 4, tier.resolution_ns, start, frozen->src_min, frozen->src_max};
          auto block = write_block(name, series, error);
          if (!block) break;
          written.push_back(std::move(block));
        }
      }
      if (!error.empty()) {
        for (const auto& block : written) ::unlink(block->path.c_str());
        note_error("history: flush to blocks failed, kept in memory and retried: " + error);
        return;
      }
      {
        std::unique_lock data(data_);
        for (auto& block : written) {
          block_bytes_ += block->bytes.size();
          blocks_.push_back(block);
        }
        frozen_.erase(frozen_.begin());
      }
      for (std::uint64_t segment = frozen->src_min; segment <= frozen->src_max; ++segment)
        ::unlink(Wal::segment_path(options_.dir / "wal", segment).c_str());
      io::sync_dir(options_.dir / "wal");
      ++flushes_;
    }
  }

  std::shared_ptr<const Block> write_block(const BlockName& name, const std::map<std::string, std::vector<Row>>& series,
                                           std::string& error) {
    const std::string bytes = encode_block(name, series);
    if (options_.max_disk_bytes &&
        block_bytes_.load() + wal_->bytes_written() + bytes.size() > options_.max_disk_bytes) {
      error = "history.max_disk_bytes (" + std::to_string(options_.max_disk_bytes) + ") reached";
      return nullptr;
    }
    const auto path = block_path(options_.dir, name);
    if (std::string why = io::write_atomically(path, bytes); !why.empty()) {
      error = path.string() + ": " + why;
      return nullptr;
    }
    auto block = std::make_shared<Block>();
    if (std::string why = load_block(path, *block); !why.empty()) {
      error = path.string() + ": " + why;
      ::unlink(path.c_str());
      return nullptr;
    }
    return block;
  }

  // Blocks of one tier and window written by several flushes become one.
  void merge_blocks() {
    std::map<std::pair<std::int64_t, std::int64_t>, std::vector<std::shared_ptr<const Block>>> groups;
    {
      std::shared_lock data(data_);
      for (const auto& block : blocks_) groups[{block->name.resolution_ns, block->name.window_start_ms}].push_back(block);
    }
    for (auto& [id, group] : groups) {
      if (group.size() < 2) continue;
      std::map<std::string, std::vector<Row>> series;
      BlockName name = group.front()->name;
      for (const auto& block : group) {
        name.src_min = std::min(name.src_min, block->name.src_min);
        name.src_max = std::max(name.src_max, block->name.src_max);
        for (const BlockSeries& entry : block->series)
          block->rows(entry.key, std::numeric_limits<std::int64_t>::min(), std::numeric_limits<std::int64_t>::max(),
                      series[entry.key]);
      }
      for (auto& [key, rows] : series) {
        if (name.resolution_ns == 0) sort_unique_raw(rows);
        else sort_combine_agg(rows);
      }
      std::string error;
      auto merged = write_block(name, series, error);
      if (!merged) {
        note_error("history: merge of blocks postponed: " + error);
        return;
      }
      {
        std::unique_lock data(data_);
        std::erase_if(blocks_, [&](const auto& block) {
          return std::find(group.begin(), group.end(), block) != group.end();
        });
        for (const auto& block : group) block_bytes_ -= block->bytes.size();
        block_bytes_ += merged->bytes.size();
        blocks_.push_back(merged);
      }
      for (const auto& block : group) ::unlink(block->path.c_str());
      ++compactions_;
    }
  }

  void expire(std::int64_t now) {
    std::vector<std::shared_ptr<const Block>> gone;
    {
      std::unique_lock data(data_);
      std::erase_if(blocks_, [&](const std::shared_ptr<const Block>& block) {
        for (const Tier& tier : options_.tiers)
          if (tier.resolution_ns == block->name.resolution_ns && block->max_t_ms < to_ms(now - tier.retention_ns)) {
            gone.push_back(block);
            return true;
          }
        return false;
      });
      for (const auto& block : gone) block_bytes_ -= block->bytes.size();
    }
    for (const auto& block : gone) ::unlink(block->path.c_str());
    expired_ += gone.size();
  }

  void loop() {
    std::unique_lock lock(thread_mutex_);
    const auto period = std::chrono::duration<double>(options_.maintenance_interval_s);
    while (!wake_.wait_for(lock, period, [this] { return stopping_; })) {
      lock.unlock();
      maintain(false);
      lock.lock();
    }
  }

  Options options_;
  int lock_fd_ = -1;
  std::atomic<SeriesState*>* table_ = nullptr;
  std::atomic<std::uint32_t> series_count_{0};
  std::unordered_map<std::string, SeriesRef> by_key_;  // under data_
  std::shared_mutex gate_;
  mutable std::shared_mutex data_;
  std::vector<std::shared_ptr<const Frozen>> frozen_;  // under data_
  std::vector<std::shared_ptr<const Block>> blocks_;   // under data_
  std::unique_ptr<Wal> wal_;
  std::uint64_t head_first_segment_ = 1;  // under gate_
  std::int64_t head_started_ns_ = 0;      // under maintain_mutex_ / gate_
  std::mutex maintain_mutex_;
  mutable std::mutex state_mutex_;
  std::string last_error_;
  std::uint64_t refused_since_ = 0;
  std::atomic<bool> refusing_{false};
  std::atomic<std::uint64_t> appended_{0}, appends_refused_{0}, samples_refused_{0}, head_samples_{0};
  std::atomic<std::uint64_t> block_bytes_{0}, flushes_{0}, compactions_{0}, expired_{0};
  std::uint64_t replayed_ = 0, torn_bytes_ = 0;
  std::mutex thread_mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace

std::unique_ptr<Store> Store::open(Options options) {
  auto store = std::make_unique<StoreImpl>(std::move(options));
  store->open();
  return store;
}

}  // namespace hpcmon::history
