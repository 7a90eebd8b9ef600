// The ranks' live tables as the agent reads them: root-side refusals on the real filesystem,
// and the rows a killed rank adds to the node partial.
#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "harness.hpp"
#include "hpcmon/agent/live_ranks.hpp"

namespace hpcmon::agent {
namespace {

using test::fs::path;
constexpr uid_t kUser = 65534;

class LiveRunDir : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = test::make_temp_dir("live");
    run_ = base_ / "12";
    ASSERT_EQ(::mkdir(run_.c_str(), 0700), 0);
    ASSERT_EQ(::chown(run_.c_str(), kUser, kUser), 0);
  }
  void TearDown() override { test::fs::remove_all(base_); }
  void user_file(const path& p, const std::string& text) {
    std::ofstream(p) << text;
    ASSERT_EQ(::chown(p.c_str(), kUser, kUser), 0);
  }
  path base_, run_;
};

TEST_F(LiveRunDir, AForeignFileNamedLikeATableIsRefusedAndCounted) {
  user_file(run_ / "mpi-12.0.0.100.live", "not a live table");
  user_file(run_ / "notes.txt", "ignored: not a table name");
  const LiveRead r = read_step_live_tables(run_.string(), kUser, "12", "0");
  EXPECT_TRUE(r.ranks.empty());
  EXPECT_EQ(r.errors, 1u);
  EXPECT_NE(r.error.find("mpi-12.0.0.100.live"), std::string::npos) << r.error;
}

TEST_F(LiveRunDir, ASymlinkedTableIsNeverFollowed) {
  user_file(base_ / "elsewhere.live", "x");
  ASSERT_EQ(::symlink((base_ / "elsewhere.live").c_str(), (run_ / "mpi-12.0.0.1.live").c_str()), 0);
  const LiveRead r = read_step_live_tables(run_.string(), kUser, "12", "0");
  EXPECT_TRUE(r.ranks.empty());
  EXPECT_EQ(r.errors, 1u);
}

TEST_F(LiveRunDir, ARunDirectoryOfAnotherUserOrASymlinkIsRefused) {
  EXPECT_NE(read_step_live_tables(run_.string(), 1234, "12", "0").error.find("owned by uid 65534"), std::string::npos);
  ASSERT_EQ(::symlink(run_.c_str(), (base_ / "13").c_str()), 0);
  EXPECT_FALSE(read_step_live_tables((base_ / "13").string(), kUser, "13", "0").error.empty());
}

TEST_F(LiveRunDir, AParentOpenToOthersIsRefused) {
  ASSERT_EQ(::chmod(base_.c_str(), 0777), 0);
  const LiveRead r = read_step_live_tables(run_.string(), kUser, "12", "0");
  EXPECT_TRUE(r.ranks.empty());
  EXPECT_NE(r.error.find("not a root-owned directory closed to other users"), std::string::npos) << r.error;
}

live::Snapshot rank(int number, live::State state) {
  live::Snapshot s;
  s.state = state;
  s.job_key = "12";
  s.step = "0";
  s.node = "n1";
  s.rank = number;
  s.world_size = 2;
  s.pid = 100 + number;
  s.start_ns = 1'000'000'000;
  s.updated_ns = 3'000'000'000;
  s.mpi_s = 0.25;
  s.total_calls = 507;
  live::FunctionCounts send;
  send.name = "MPI_Send";
  send.calls = 500;
  send.bytes = 4000;
  send.size_hist.assign(40, 0);
  send.size_hist[4] = 500;
  live::FunctionCounts init;
  init.name = "MPI_Init";
  init.calls = 1;
  s.functions = {send, init};
  s.traffic = {{0, 1 - number, 500, 4000}};
  for (int i = 1; i <= 2; ++i) {
    live::SamplePoint p;
    p.t_ns = 1'000'000'000 + i * 1'000'000'000LL;
    p.rss_bytes = 1000u * i;
    p.mpi_calls = 200u * i;
    p.user_cpu_s = 0.5 * i;
    s.series.push_back(p);
  }
  return s;
}

TEST(KilledRanks, OnlyRanksThatDidNotFinalizeGoIntoThePartialWithTotalsAtTheKill) {
  record::JobRecord rec;
  const std::size_t added =
      add_killed_ranks(rec, {rank(0, live::State::running), rank(1, live::State::finalized)}, 4'000'000'000);
  EXPECT_EQ(added, 1u);
  EXPECT_EQ(rec.job.rank_count, 2u);
  ASSERT_EQ(rec.ranks.size(), 1u);
  EXPECT_EQ(rec.ranks[0].rank, 0);
  EXPECT_EQ(rec.ranks[0].rss_hwm_bytes, 2000u);
  EXPECT_DOUBLE_EQ(rec.ranks[0].user_cpu_s, 1.0);
  EXPECT_DOUBLE_EQ(rec.ranks[0].wall_s, 2.0);
  ASSERT_EQ(rec.mpi.size(), 2u);
  EXPECT_EQ(rec.mpi[0].function, "MPI_Send");
  EXPECT_EQ(rec.mpi[0].calls, 500u);
  EXPECT_EQ(rec.mpi[0].size_hist[4], 500u);
  ASSERT_EQ(rec.traffic.size(), 1u);
  EXPECT_EQ(rec.traffic[0].dst, 1);
  EXPECT_EQ(rec.traffic[0].bytes, 4000u);
  const record::Series* calls = nullptr;
  for (const auto& s : rec.series)
    if (s.owner_kind == "rank" && s.owner == "0" && s.metric == "mpi_calls") calls = &s;
  ASSERT_NE(calls, nullptr);
  // The sampler's two points, then the tables' totals at the step's end.
  EXPECT_EQ(calls->t_ns, (std::vector<std::int64_t>{2'000'000'000, 3'000'000'000, 4'000'000'000}));
  EXPECT_EQ(calls->values, (std::vector<double>{200, 400, 507}));
  EXPECT_EQ(calls->source, "live");
}

}  // namespace
}  // namespace hpcmon::agent
