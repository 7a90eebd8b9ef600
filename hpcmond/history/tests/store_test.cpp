// The store on a real folder: restart returns every acknowledged sample, a torn log tail is
// dropped, tiers hold what they should after compaction (samples with past timestamps and an
// injected clock), regular series stay within 1.5 bytes per sample on disk.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>

#include "hpcmon/history.hpp"
#include "wal.hpp"

namespace hpcmon::history {
namespace {

constexpr std::int64_t kS = 1'000'000'000;
constexpr std::int64_t kDay = 86400 * kS;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "hpcmon-history-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

struct Clock {
  std::shared_ptr<std::atomic<std::int64_t>> now = std::make_shared<std::atomic<std::int64_t>>(1795814400 * kS);
  std::function<std::int64_t()> fn() const {
    auto n = now;
    return [n] { return n->load(); };
  }
};

Options options_for(const std::filesystem::path& dir, const Clock& clock) {
  Options options;
  options.dir = dir;
  options.maintenance_interval_s = 0;
  options.clock = clock.fn();
  options.log = [](const std::string&) {};
  return options;
}

Selector metric(const std::string& name) { return Selector{name, false, {}}; }

std::size_t count_points(const RangeResult& result) {
  std::size_t n = 0;
  for (const auto& series : result.series) n += series.points.size();
  return n;
}

TEST(Store, RestartReturnsEveryAcknowledgedSampleFromLogAndBlocks) {
  TempDir dir;
  Clock clock;
  const std::int64_t t0 = *clock.now - 3600 * kS;
  {
    auto store = Store::open(options_for(dir.path(), clock));
    const SeriesRef a = store->series("node.load1", {{"node", "n1"}});
    const SeriesRef b = store->series("node.load1", {{"node", "n2"}});
    for (int i = 0; i < 300; ++i) {
      const Write batch[] = {{a, t0 + i * 5 * kS, i * 0.25}, {b, t0 + i * 5 * kS + 1234567, -i * 1.0}};
      ASSERT_TRUE(store->append(batch));
      if (i == 150) store->maintain(true);  // half in a block, half only in the log
    }
    EXPECT_EQ(store->stats().samples_appended, 600u);
    EXPECT_GE(store->stats().flushes, 1u);
  }  // closed without a flush: the second half lives in the log only
  auto store = Store::open(options_for(dir.path(), clock));
  EXPECT_EQ(store->stats().replayed_samples, 298u);
  const auto result = store->range(metric("node.load1"), t0, *clock.now, 0);
  ASSERT_EQ(result.series.size(), 2u);
  for (const auto& series : result.series) {
    ASSERT_EQ(series.points.size(), 300u) << series.labels.at("node");
    const bool first = series.labels.at("node") == "n1";
    for (int i = 0; i < 300; ++i) {
      const Point& p = series.points[static_cast<std::size_t>(i)];
      EXPECT_EQ(p.t_ns, t0 + i * 5 * kS + (first ? 0 : 1000000)) << i;  // milliseconds kept
      EXPECT_EQ(p.avg, first ? i * 0.25 : -i * 1.0);
    }
  }
  const auto latest = store->latest(Selector{"node.", true, {{"node", "n2"}}});
  ASSERT_EQ(latest.size(), 1u);
  EXPECT_EQ(latest[0].value, -299.0);
  EXPECT_EQ(latest[0].labels.at("node"), "n2");
}

TEST(Store, TornOrDamagedLogTailIsDroppedAndTheRestKept) {
  TempDir dir;
  Clock clock;
  const std::int64_t t0 = *clock.now - 600 * kS;
  {
    auto store = Store::open(options_for(dir.path(), clock));
    const SeriesRef a = store->series("m", {{"node", "n1"}});
    for (int i = 0; i < 10; ++i) {
      const Write batch[] = {{a, t0 + i * kS, double(i)}};
      ASSERT_TRUE(store->append(batch));
    }
  }
  const auto segments = Wal::segments(dir.path() / "wal");
  ASSERT_FALSE(segments.empty());
  const auto log = Wal::segment_path(dir.path() / "wal", segments.back());
  const auto size = std::filesystem::file_size(log);
  std::filesystem::resize_file(log, size - 3);  // a write torn by the crash
  {
    auto store = Store::open(options_for(dir.path(), clock));
    EXPECT_GT(store->stats().torn_wal_bytes, 0u);
    const auto result = store->range(metric("m"), t0, *clock.now, 0);
    ASSERT_EQ(result.series.size(), 1u);
    EXPECT_EQ(result.series[0].points.size(), 9u);
    EXPECT_EQ(result.series[0].points.back().avg, 8.0);
    const SeriesRef a = store->series("m", {{"node", "n1"}});
    const Write more[] = {{a, t0 + 100 * kS, 100.0}};
    ASSERT_TRUE(store->append(more));
  }
  // A flipped byte inside the last record of the newest segment: its CRC fails.
  const auto newest = Wal::segment_path(dir.path() / "wal", Wal::segments(dir.path() / "wal").back());
  {
    std::fstream file(newest, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(static_cast<std::streamoff>(std::filesystem::file_size(newest) - 2));
    file.put('\x5a');
  }
  auto store = Store::open(options_for(dir.path(), clock));
  EXPECT_GT(store->stats().torn_wal_bytes, 0u);
  const auto result = store->range(metric("m"), t0, *clock.now, 0);
  ASSERT_EQ(result.series.size(), 1u);
  EXPECT_EQ(result.series[0].points.size(), 9u);
}

TEST(Store, OutOfOrderAndResentSamplesAreKeptOnceInTimeOrder) {
  TempDir dir;
  Clock clock;
  auto store = Store::open(options_for(dir.path(), clock));
  const SeriesRef a = store->series("m", {});
  const std::int64_t t0 = *clock.now - 100 * kS;
  for (int s : {10, 20, 30, 15, 20, 5}) {
    const Write w[] = {{a, t0 + s * kS, double(s)}};
    ASSERT_TRUE(store->append(w));
  }
  auto points = store->range(metric("m"), t0, *clock.now, 0).series.at(0).points;
  ASSERT_EQ(points.size(), 5u);
  const std::vector<int> expected = {5, 10, 15, 20, 30};
  for (std::size_t i = 0; i < points.size(); ++i) EXPECT_EQ(points[i].t_ns, t0 + expected[i] * kS);
  store->maintain(true);
  points = store->range(metric("m"), t0, *clock.now, 0).series.at(0).points;
  EXPECT_EQ(points.size(), 5u);
  EXPECT_EQ(store->latest(metric("m")).at(0).value, 30.0);  // the newest time wins, not the last append
}

TEST(Store, StepAggregatesEachBucketToOnePoint) {
  TempDir dir;
  Clock clock;
  auto store = Store::open(options_for(dir.path(), clock));
  const SeriesRef a = store->series("m", {{"node", "n1"}});
  const std::int64_t t0 = *clock.now - 1000 * kS;
  for (int i = 0; i < 10; ++i) {
    const Write w[] = {{a, t0 + i * 10 * kS, double(i + 1)}};
    ASSERT_TRUE(store->append(w));
  }
  const auto result = store->range(metric("m"), t0, t0 + 99 * kS, 50 * kS);
  ASSERT_EQ(result.series.size(), 1u);
  const auto& p = result.series[0].points;
  ASSERT_EQ(p.size(), 2u);
  EXPECT_EQ(p[0].t_ns, t0);
  EXPECT_EQ(p[0].count, 5u);
  EXPECT_DOUBLE_EQ(p[0].avg, 3.0);
  EXPECT_EQ(p[0].min, 1.0);
  EXPECT_EQ(p[0].max, 5.0);
  EXPECT_EQ(p[1].t_ns, t0 + 50 * kS);
  EXPECT_DOUBLE_EQ(p[1].avg, 8.0);
  EXPECT_EQ(result.resolution_ns, 0);
}

// 100 days of one sample every 10 s, written with past timestamps, then compacted: the raw
// tier keeps 7 days, the 1-minute tier 90 days, the 1-hour tier the rest.
TEST(Store, TiersHoldTheirRetentionAfterCompaction) {
  TempDir dir;
  Clock clock;
  const std::int64_t now = *clock.now;
  const std::int64_t t0 = now - 100 * kDay;
  {
    auto store = Store::open(options_for(dir.path(), clock));
    const SeriesRef a = store->series("node.cpu_util", {{"node", "n1"}});
    std::vector<Write> batch;
    for (std::int64_t t = t0; t < now; t += 10 * kS) {
      // The value is the sample's index within its minute (0..5): min 0, max 5, avg 2.5.
      batch.push_back({a, t, double(((t - t0) / (10 * kS)) % 6)});
      if (batch.size() == 10000) {
        ASSERT_TRUE(store->append(batch));
        batch.clear();
      }
    }
    ASSERT_TRUE(store->append(batch));
    store->maintain(true);
    EXPECT_EQ(store->stats().head_samples, 0u);
  }
  auto store = Store::open(options_for(dir.path(), clock));
  store->maintain(false);
  // Raw: exactly the last 7 days (one sample every 10 s).
  const auto raw = store->range(metric("node.cpu_util"), t0, now, 0);
  EXPECT_EQ(raw.resolution_ns, 0);
  EXPECT_EQ(count_points(raw), static_cast<std::size_t>(7 * 8640));
  // 1 minute: 10 days of 1-minute points 30 days ago, each of 6 samples.
  const auto minute = store->range(metric("node.cpu_util"), now - 30 * kDay, now - 20 * kDay - 1, 60 * kS);
  EXPECT_EQ(minute.resolution_ns, 60 * kS);
  ASSERT_EQ(minute.series.size(), 1u);
  EXPECT_EQ(minute.series[0].points.size(), static_cast<std::size_t>(10 * 1440));
  for (const auto& p : minute.series[0].points) {
    ASSERT_EQ(p.count, 6u);
    EXPECT_EQ(p.min, 0.0);
    EXPECT_EQ(p.max, 5.0);
    EXPECT_DOUBLE_EQ(p.avg, 2.5);
  }
  // Beyond 90 days only hours remain, each of 360 samples.
  const auto hour = store->range(metric("node.cpu_util"), now - 100 * kDay, now - 95 * kDay - 1, 60 * kS);
  EXPECT_EQ(hour.resolution_ns, 3600 * kS);
  ASSERT_EQ(hour.series.size(), 1u);
  // The bucket that overlaps `start` counts too (it began 20 minutes before the first sample).
  ASSERT_EQ(hour.series[0].points.size(), static_cast<std::size_t>(5 * 24 + 1));
  EXPECT_EQ(hour.series[0].points[0].t_ns, now - 100 * kDay);
  EXPECT_EQ(hour.series[0].points[0].count, 240u);
  for (std::size_t i = 1; i < hour.series[0].points.size(); ++i) ASSERT_EQ(hour.series[0].points[i].count, 360u);
  // A 1 h step over the raw window is served by the hour tier: 24 points a day.
  const auto day = store->range(metric("node.cpu_util"), now - kDay, now - 1, 3600 * kS);
  EXPECT_EQ(day.resolution_ns, 3600 * kS);
  EXPECT_EQ(count_points(day), 24u);
  // Time passes: 6 years later the hour tier is empty too and the blocks are deleted.
  *clock.now = now + 6 * 365 * kDay;
  store->maintain(false);
  EXPECT_EQ(store->stats().blocks, 0u);
  EXPECT_GT(store->stats().expired_blocks, 0u);
  EXPECT_EQ(count_points(store->range(metric("node.cpu_util"), t0, *clock.now, 3600 * kS)), 0u);
}

TEST(Store, FlushesIntoOneWindowAreMergedIntoOneBlock) {
  TempDir dir;
  Clock clock;
  auto store = Store::open(options_for(dir.path(), clock));
  const SeriesRef a = store->series("m", {});
  const std::int64_t t0 = *clock.now - *clock.now % (2 * 3600 * kS);  // a window's start
  for (int flush = 0; flush < 3; ++flush) {
    for (int i = 0; i < 100; ++i) {
      const Write w[] = {{a, t0 + (flush * 100 + i) * kS, double(i)}};
      ASSERT_TRUE(store->append(w));
    }
    store->maintain(true);
  }
  *clock.now = t0 + 400 * kS;
  store->maintain(false);
  EXPECT_GT(store->stats().compactions, 0u);
  std::size_t raw_files = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path() / "raw")) raw_files += entry.path().extension() == ".blk";
  EXPECT_EQ(raw_files, 1u);
  EXPECT_EQ(count_points(store->range(metric("m"), t0, t0 + 400 * kS, 0)), 300u);
  const auto minute = store->range(metric("m"), t0, t0 + 400 * kS, 60 * kS);
  std::uint64_t total = 0;
  for (const auto& p : minute.series.at(0).points) total += p.count;
  EXPECT_EQ(total, 300u);
}

// Regular series (fixed interval; values constant or slowly changing, as node memory
// totals, process counts, counters of an idle device): at most 1.5 bytes per sample.
TEST(Store, RegularSeriesTakeAtMostOneAndAHalfBytesPerSampleOnDisk) {
  TempDir dir;
  Clock clock;
  auto store = Store::open(options_for(dir.path(), clock));
  const std::int64_t t0 = *clock.now - 2 * 3600 * kS;
  std::vector<Write> batch;
  std::uint64_t samples = 0;
  for (int node = 0; node < 50; ++node) {
    const std::string name = "node" + std::to_string(node);
    const SeriesRef total = store->series("node.mem_total_bytes", {{"node", name}});
    const SeriesRef processes = store->series("step.processes", {{"node", name}, {"job", "12"}, {"step", "0"}});
    const SeriesRef used = store->series("node.mem_used_bytes", {{"node", name}});
    for (int i = 0; i < 1440; ++i) {
      const std::int64_t t = t0 + i * 5 * kS;
      batch.push_back({total, t, 25276510208.0});
      batch.push_back({processes, t, double(4 + (i / 300) % 3)});
      batch.push_back({used, t, 1685209088.0 + 4096.0 * (i / 60)});
      samples += 3;
    }
  }
  ASSERT_TRUE(store->append(batch));
  store->maintain(true);
  std::uint64_t raw_bytes = 0;
  for (const auto& entry : std::filesystem::directory_iterator(dir.path() / "raw")) raw_bytes += std::filesystem::file_size(entry.path());
  const double per_sample = double(raw_bytes) / double(samples);
  RecordProperty("bytes_per_sample", std::to_string(per_sample));
  std::printf("regular series: %llu samples, %llu bytes, %.3f B/sample\n", (unsigned long long)samples,
              (unsigned long long)raw_bytes, per_sample);
  EXPECT_LE(per_sample, 1.5);
  EXPECT_EQ(count_points(store->range(Selector{"", false, {{"node", "node7"}}}, t0, *clock.now, 0)), 3u * 1440);
}

TEST(Store, TierTextIsParsedAndCheckedStrictly) {
  EXPECT_EQ(parse_tier("raw:7d"), (Tier{0, 7 * kDay}));
  EXPECT_EQ(parse_tier("1m:90d"), (Tier{60 * kS, 90 * kDay}));
  EXPECT_EQ(parse_tier("1h:5y"), (Tier{3600 * kS, 5 * 365 * kDay}));
  for (const char* bad : {"", "raw", "raw:", "1x:7d", "0m:7d", "1m:-1d", "1m:7", "m:7d", "raw:7d:1"})
    EXPECT_FALSE(parse_tier(bad)) << bad;
  EXPECT_EQ(check_tiers(default_tiers()), "");
  EXPECT_NE(check_tiers({{60 * kS, kDay}}), "");
  EXPECT_NE(check_tiers({{0, kDay}, {3600 * kS, 90 * kDay}, {60 * kS, 400 * kDay}}), "");
  EXPECT_NE(check_tiers({{0, 90 * kDay}, {60 * kS, kDay}}), "");
}

}  // namespace
}  // namespace hpcmon::history
