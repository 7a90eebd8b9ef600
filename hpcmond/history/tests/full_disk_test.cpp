// A full disk for real: the store on a 1 MiB tmpfs. Writes are refused and counted (one log
// line per state change), every acknowledged sample stays readable, nothing is damaged, and
// writes and flushes resume when space returns. Also the store's own max_disk_bytes.
#include <gtest/gtest.h>

#include <sys/mount.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <cstring>

#include "hpcmon/history.hpp"

namespace hpcmon::history {
namespace {

constexpr std::int64_t kS = 1'000'000'000;

struct Lines {
  std::shared_ptr<std::vector<std::string>> lines = std::make_shared<std::vector<std::string>>();
  std::shared_ptr<std::mutex> mutex = std::make_shared<std::mutex>();
  std::function<void(const std::string&)> sink() const {
    auto l = lines;
    auto m = mutex;
    return [l, m](const std::string& line) {
      std::lock_guard lock(*m);
      l->push_back(line);
    };
  }
  std::size_t count(const std::string& part) const {
    std::lock_guard lock(*mutex);
    std::size_t n = 0;
    for (const auto& line : *lines) n += line.find(part) != std::string::npos;
    return n;
  }
};

class TinyFilesystem : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string pattern = (std::filesystem::temp_directory_path() / "hpcmon-fulldisk-XXXXXX").string();
    mount_point_ = ::mkdtemp(pattern.data());
    if (::mount("tmpfs", mount_point_.c_str(), "tmpfs", 0, "size=1m") != 0)
      GTEST_SKIP() << "cannot mount a tmpfs here (needs root): " << std::strerror(errno);
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_) ::umount2(mount_point_.c_str(), MNT_DETACH);
    std::filesystem::remove_all(mount_point_);
  }
  std::filesystem::path mount_point_;
  bool mounted_ = false;
};

TEST_F(TinyFilesystem, FullDiskRefusesCountsKeepsAcknowledgedAndRecovers) {
  const auto dir = mount_point_ / "history";
  const auto filler = mount_point_ / "filler";
  { std::ofstream(filler) << std::string(600 * 1024, 'x'); }  // leaves the store ~400 KiB
  Lines log;
  Options options;
  options.dir = dir;
  options.maintenance_interval_s = 0;
  options.log = log.sink();
  const std::int64_t t0 = 1795814400 * kS;
  options.clock = [t0] { return t0 + 86400 * kS; };
  std::uint64_t acknowledged = 0;
  std::int64_t next_t = t0;
  {
    auto store = Store::open(options);
    std::vector<SeriesRef> refs;
    for (int i = 0; i < 20; ++i) refs.push_back(store->series("node.cpu_util", {{"node", "node" + std::to_string(i)}}));
    auto batch_at = [&](std::int64_t t) {
      std::vector<Write> batch;
      for (SeriesRef ref : refs) batch.push_back({ref, t, double(t / kS % 1000) + ref * 0.001});
      return batch;
    };
    int refused = 0;
    for (int round = 0; round < 10000 && refused < 5; ++round) {
      if (store->append(batch_at(next_t))) {
        acknowledged += refs.size();
        next_t += 5 * kS;
      } else {
        ++refused;
      }
    }
    ASSERT_EQ(refused, 5) << "the 1 MiB filesystem never filled";
    Stats stats = store->stats();
    EXPECT_TRUE(stats.disk_full);
    EXPECT_EQ(stats.appends_refused, 5u);
    EXPECT_EQ(stats.samples_refused, 5u * refs.size());
    EXPECT_NE(stats.last_error.find("No space left on device"), std::string::npos) << stats.last_error;
    EXPECT_EQ(log.count("writes refused"), 1u);  // a state, logged once
    // A flush while full fails without losing anything: the head stays in memory.
    store->maintain(true);
    Selector all{"node.cpu_util", false, {}};
    auto count = [&] {
      std::uint64_t n = 0;
      for (const auto& series : store->range(all, t0, next_t, 0).series) n += series.points.size();
      return n;
    };
    EXPECT_EQ(count(), acknowledged);
    // Space returns: writes are accepted again and the flush goes through.
    std::filesystem::remove(filler);
    ASSERT_TRUE(store->append(batch_at(next_t)));
    acknowledged += refs.size();
    next_t += 5 * kS;
    EXPECT_FALSE(store->stats().disk_full);
    EXPECT_EQ(log.count("writes accepted again"), 1u);
    store->maintain(true);
    EXPECT_GE(store->stats().flushes, 1u);
    EXPECT_EQ(store->stats().head_samples, 0u);
    EXPECT_EQ(count(), acknowledged);
    ASSERT_TRUE(store->append(batch_at(next_t)));  // one more, in the log only
    acknowledged += refs.size();
    next_t += 5 * kS;
  }
  // Restart: every acknowledged sample, no damaged block, no torn log.
  auto store = Store::open(options);
  EXPECT_EQ(log.count("not loaded"), 0u);
  EXPECT_EQ(store->stats().torn_wal_bytes, 0u);
  std::uint64_t n = 0;
  for (const auto& series : store->range(Selector{"node.cpu_util", false, {}}, t0, next_t, 0).series) {
    EXPECT_EQ(series.points.size(), acknowledged / 20);
    n += series.points.size();
  }
  EXPECT_EQ(n, acknowledged);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir))
    EXPECT_NE(entry.path().extension(), ".tmp") << entry.path();
}

TEST(MaxDiskBytes, WritesPastTheLimitAreRefusedAndCounted) {
  std::string pattern = (std::filesystem::temp_directory_path() / "hpcmon-maxdisk-XXXXXX").string();
  const std::filesystem::path dir = ::mkdtemp(pattern.data());
  Options options;
  options.dir = dir;
  options.maintenance_interval_s = 0;
  options.max_disk_bytes = 64 * 1024;
  options.sync = SyncMode::none;
  options.log = [](const std::string&) {};
  {
    auto store = Store::open(options);
    const SeriesRef ref = store->series("m", {{"node", "n1"}});
    std::uint64_t stored = 0;
    bool refused = false;
    for (int i = 0; i < 100000 && !refused; ++i) {
      const Write w[] = {{ref, 1795814400 * kS + i * kS, double(i)}};
      if (store->append(w)) ++stored;
      else refused = true;
    }
    ASSERT_TRUE(refused);
    const Stats stats = store->stats();
    EXPECT_EQ(stats.appends_refused, 1u);
    EXPECT_NE(stats.last_error.find("max_disk_bytes"), std::string::npos);
    EXPECT_LE(stats.wal_bytes + stats.block_bytes, options.max_disk_bytes);
    EXPECT_EQ(stats.samples_appended, stored);
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace hpcmon::history
