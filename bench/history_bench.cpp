// Figures of the history store (bench/history_bench.sh runs it; docs/benchmarks.md):
// ingest rate on one core, bytes per sample on disk (regular and irregular series), and
// range query times over a day and a month of one node's series, raw and with a step.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "hpcmon/history.hpp"

namespace {

using namespace hpcmon::history;
namespace fs = std::filesystem;
constexpr std::int64_t kS = 1'000'000'000;
constexpr std::int64_t kDay = 86400 * kS;
constexpr std::int64_t kNow = 1795814400LL * kS;

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

std::unique_ptr<Store> open(const fs::path& dir, SyncMode sync, std::vector<Tier> tiers = default_tiers()) {
  fs::remove_all(dir);
  Options options;
  options.dir = dir;
  options.sync = sync;
  options.tiers = std::move(tiers);
  options.maintenance_interval_s = 0;
  options.clock = [] { return kNow; };
  options.log = [](const std::string& line) { std::fprintf(stderr, "%s\n", line.c_str()); };
  return Store::open(std::move(options));
}

std::uint64_t folder_bytes(const fs::path& dir) {
  std::uint64_t bytes = 0;
  if (fs::exists(dir))
    for (const auto& entry : fs::recursive_directory_iterator(dir))
      if (entry.is_regular_file()) bytes += entry.file_size();
  return bytes;
}

void ingest(const fs::path& root, SyncMode sync, const char* label, std::size_t batch_size) {
  auto store = open(root / "ingest", sync);
  std::vector<SeriesRef> refs;
  for (int node = 0; node < 100; ++node)
    for (int metric = 0; metric < 10; ++metric)
      refs.push_back(store->series("node.metric" + std::to_string(metric), {{"node", "node" + std::to_string(node)}}));
  const std::size_t total = sync == SyncMode::always && batch_size < 1000 ? 200000 : 10'000'000;
  std::vector<Write> batch;
  batch.reserve(batch_size);
  std::mt19937_64 random(1);
  const auto start = std::chrono::steady_clock::now();
  std::size_t done = 0;
  for (std::int64_t tick = 0; done < total; ++tick)
    for (SeriesRef ref : refs) {
      batch.push_back({ref, kNow - kDay + tick * 5 * kS, double(random() % 1000) / 10});
      if (batch.size() == batch_size) {
        if (!store->append(batch)) std::fprintf(stderr, "refused\n");
        done += batch.size();
        batch.clear();
      }
    }
  const double elapsed = seconds_since(start);
  std::printf("ingest %-28s batch %6zu: %10.0f samples/s (%zu samples in %.2f s, %llu syncs)\n", label, batch_size,
              double(done) / elapsed, done, elapsed, (unsigned long long)store->stats().wal_syncs);
  const auto flush_start = std::chrono::steady_clock::now();
  store->maintain(true);
  std::printf("  flush of the head to blocks (all tiers): %.2f s\n", seconds_since(flush_start));
}

// 200 series x 2 h at 5 s; returns raw-tier bytes per sample.
void bytes_per_sample(const fs::path& root, bool regular) {
  auto store = open(root / "bytes", SyncMode::none);
  std::mt19937_64 random(2);
  std::normal_distribution<double> jitter_ms(0, 3);
  std::vector<Write> batch;
  std::uint64_t samples = 0;
  for (int node = 0; node < 20; ++node)
    for (int metric = 0; metric < 10; ++metric) {
      const SeriesRef ref = store->series("node.metric" + std::to_string(metric), {{"node", "node" + std::to_string(node)}});
      double value = 1000;
      for (int i = 0; i < 1440; ++i) {
        std::int64_t t = kNow - 3 * 3600 * kS + i * 5 * kS;
        if (regular) {
          // Gauges that hold or step (memory totals, process counts, an idle disk's rate).
          value = metric < 4 ? 25276510208.0 : metric < 7 ? double(4 + (i / 300) % 3) : 1685209088.0 + 4096.0 * (i / 60);
        } else {
          t += static_cast<std::int64_t>(jitter_ms(random) * 1e6);  // a sampler's timer jitter
          value = std::max(0.0, value + std::normal_distribution<double>(0, 5)(random));  // a wandering float
        }
        batch.push_back({ref, t, value});
        ++samples;
      }
    }
  store->append(batch);
  store->maintain(true);
  const double raw = double(folder_bytes(root / "bytes" / "raw")) / double(samples);
  const double minute = double(folder_bytes(root / "bytes" / "60s"));
  std::printf("bytes on disk, %-9s series: %.3f B/sample raw (%llu samples), 1-minute tier %.1f B per series-minute\n",
              regular ? "regular" : "irregular", raw, (unsigned long long)samples, minute / (200.0 * 120));
}

template <class F>
double median_ms(F query, int runs = 7) {
  std::vector<double> times;
  for (int i = 0; i < runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    query();
    times.push_back(seconds_since(start) * 1000);
  }
  std::sort(times.begin(), times.end());
  return times[times.size() / 2];
}

// One node's 20 series at 5 s for 31 days (raw kept 35 days for the raw month figure).
void queries(const fs::path& root) {
  auto store = open(root / "query", SyncMode::none,
                    {{0, 35 * kDay}, {60 * kS, 90 * kDay}, {3600 * kS, 5 * 365 * kDay}});
  std::vector<SeriesRef> refs;
  for (int metric = 0; metric < 20; ++metric) refs.push_back(store->series("node.metric" + std::to_string(metric), {{"node", "node07"}}));
  // Other nodes' series beside it, as a cluster's store holds them.
  for (int node = 0; node < 50; ++node)
    for (int metric = 0; metric < 20; ++metric)
      store->series("node.metric" + std::to_string(metric), {{"node", "other" + std::to_string(node)}});
  std::mt19937_64 random(3);
  std::vector<Write> batch;
  const auto load_start = std::chrono::steady_clock::now();
  for (std::int64_t t = kNow - 31 * kDay; t < kNow; t += 5 * kS) {
    for (SeriesRef ref : refs) batch.push_back({ref, t, double(random() % 10000) / 100});
    if (batch.size() >= 100000) {
      store->append(batch);
      batch.clear();
    }
    if ((t - (kNow - 31 * kDay)) % (2 * 3600 * kS) == 0) store->maintain(true);
  }
  store->append(batch);
  store->maintain(true);
  std::printf("query set: 20 series x 31 days at 5 s (%.1f M samples) loaded and flushed in %.1f s, %.1f MB on disk\n",
              20 * 31 * 17280 / 1e6, seconds_since(load_start), double(folder_bytes(root / "query")) / 1e6);
  Selector node{"node.", true, {{"node", "node07", LabelMatcher::Op::equal}}};
  auto run = [&](const char* label, std::int64_t span, std::int64_t step) {
    std::size_t points = 0;
    const double ms = median_ms([&] {
      points = 0;
      for (const auto& series : store->range(node, kNow - span, kNow, step).series) points += series.points.size();
    });
    std::printf("range query %-26s: %8.1f ms (%zu points)\n", label, ms, points);
  };
  run("day, raw", kDay, 0);
  run("day, step 60 s", kDay, 60 * kS);
  run("day, step 5 min", kDay, 300 * kS);
  run("month (30 d), raw", 30 * kDay, 0);
  run("month (30 d), step 1 h", 30 * kDay, 3600 * kS);
  run("month (30 d), step 5 min", 30 * kDay, 300 * kS);
}

}  // namespace

int main(int argc, char** argv) {
  const fs::path root = argc > 1 ? argv[1] : "/tmp/hpcmon-history-bench";
  ingest(root, SyncMode::none, "(log not synced)", 10000);
  ingest(root, SyncMode::always, "(fdatasync per batch)", 10000);
  ingest(root, SyncMode::always, "(fdatasync per batch)", 100);
  bytes_per_sample(root, true);
  bytes_per_sample(root, false);
  queries(root);
  fs::remove_all(root);
  return 0;
}
