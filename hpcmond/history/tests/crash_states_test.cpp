// States a crash can leave on disk, rebuilt by hand from real files, and concurrent appends:
// a flush stopped after its downsampled blocks (before the raw block that commits it), a
// merge stopped before deleting its inputs, and group commit across threads. Each time the
// reopened store counts every sample exactly once.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <thread>

#include "hpcmon/history.hpp"
#include "wal.hpp"

namespace hpcmon::history {
namespace {

namespace fs = std::filesystem;
constexpr std::int64_t kS = 1'000'000'000;
constexpr std::int64_t kNow = 1795814400LL * kS;

struct Dir {
  Dir() {
    std::string pattern = (fs::temp_directory_path() / "hpcmon-history-crash-XXXXXX").string();
    path = ::mkdtemp(pattern.data());
  }
  ~Dir() { fs::remove_all(path); }
  fs::path path;
};

Options options_for(const fs::path& dir) {
  Options options;
  options.dir = dir;
  options.maintenance_interval_s = 0;
  options.clock = [] { return kNow; };
  options.log = [](const std::string&) {};
  return options;
}

std::uint64_t total_count(const Store& store, std::int64_t step) {
  std::uint64_t n = 0;
  for (const auto& series : store.range(Selector{"m", false, {}}, kNow - 3600 * kS, kNow, step).series)
    for (const auto& p : series.points) n += p.count;
  return n;
}

std::vector<fs::path> files(const fs::path& folder) {
  std::vector<fs::path> out;
  for (const auto& entry : fs::directory_iterator(folder)) out.push_back(entry.path());
  return out;
}

TEST(CrashStates, FlushStoppedBeforeItsRawBlockIsReplayedWithoutDoubleCounting) {
  Dir dir;
  const fs::path saved = dir.path / "saved.wal";
  {
    auto store = Store::open(options_for(dir.path));
    const SeriesRef a = store->series("m", {{"node", "n1"}});
    std::vector<Write> batch;
    for (int i = 0; i < 600; ++i) batch.push_back({a, kNow - 3000 * kS + i * 5 * kS, double(i)});
    ASSERT_TRUE(store->append(batch));
    const auto segment = Wal::segments(dir.path / "wal").front();
    fs::copy_file(Wal::segment_path(dir.path / "wal", segment), saved);
    store->maintain(true);
    // The crash: the log segment is still there and the raw block never reached its rename.
    fs::copy_file(saved, Wal::segment_path(dir.path / "wal", segment));
    for (const auto& raw : files(dir.path / "raw")) fs::remove(raw);
  }
  fs::remove(saved);
  auto store = Store::open(options_for(dir.path));
  EXPECT_EQ(total_count(*store, 0), 600u);        // raw, from the replayed log
  EXPECT_EQ(total_count(*store, 60 * kS), 600u);  // minute tier: the orphan block was dropped
  store->maintain(true);
  EXPECT_EQ(total_count(*store, 60 * kS), 600u);
  EXPECT_EQ(total_count(*store, 3600 * kS), 600u);
  EXPECT_EQ(files(dir.path / "raw").size(), 1u);
}

TEST(CrashStates, MergeStoppedBeforeDeletingItsInputsKeepsOneCopy) {
  Dir dir;
  fs::path kept_input;
  {
    auto store = Store::open(options_for(dir.path));
    const SeriesRef a = store->series("m", {{"node", "n1"}});
    for (int flush = 0; flush < 2; ++flush) {
      std::vector<Write> batch;
      for (int i = 0; i < 100; ++i) batch.push_back({a, kNow - 3000 * kS + (flush * 100 + i) * kS, double(i)});
      ASSERT_TRUE(store->append(batch));
      store->maintain(true);  // the second round merges the two minute-tier blocks of the day
      if (flush == 0) {
        kept_input = dir.path / "saved.blk";
        fs::copy_file(files(dir.path / "60s").front(), kept_input);
      }
    }
  }
  ASSERT_EQ(files(dir.path / "60s").size(), 1u);
  // The crash: the first input of the merge is still there beside the merged block.
  const auto first = kept_input;
  fs::path name;
  for (const auto& entry : files(dir.path / "60s")) name = entry.filename();
  const std::string window = name.string().substr(0, name.string().find('-'));
  fs::rename(first, dir.path / "60s" / (window + "-1-1.blk"));
  ASSERT_EQ(files(dir.path / "60s").size(), 2u);
  auto store = Store::open(options_for(dir.path));
  EXPECT_EQ(files(dir.path / "60s").size(), 1u);
  EXPECT_EQ(total_count(*store, 60 * kS), 200u);
}

TEST(CrashStates, ConcurrentAppendsShareSyncsAndAllSurviveARestart) {
  Dir dir;
  std::uint64_t syncs = 0;
  {
    auto store = Store::open(options_for(dir.path));
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
      threads.emplace_back([&, t] {
        const SeriesRef ref = store->series("m", {{"node", "n" + std::to_string(t)}});
        for (int i = 0; i < 100; ++i) {
          const Write w[] = {{ref, kNow - 3000 * kS + i * kS, double(i)}};
          ASSERT_TRUE(store->append(w));
        }
      });
    for (auto& thread : threads) thread.join();
    syncs = store->stats().wal_syncs;
    EXPECT_EQ(store->stats().samples_appended, 400u);
  }
  EXPECT_LE(syncs, 400u);  // never more syncs than appends; fewer when they overlapped
  auto store = Store::open(options_for(dir.path));
  EXPECT_EQ(total_count(*store, 0), 400u);
  EXPECT_EQ(store->range(Selector{"m", false, {}}, kNow - 3600 * kS, kNow, 0).series.size(), 4u);
}

}  // namespace
}  // namespace hpcmon::history
