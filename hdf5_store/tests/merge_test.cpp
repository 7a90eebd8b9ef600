// Merge semantics of docs/job-record.md ("Merge"), with the case: parts holding
// ranks 0-3 and 2-5 of an 8-rank step.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "hpcmon/store.hpp"

using namespace hpcmon;

namespace {

constexpr std::int64_t kStart = 1'700'000'000'000'000'000;

// An MPI part holding ranks [first, last] of an 8-rank step; values derive from the rank so
// that sums can be checked exactly.
record::JobRecord mpi_part(std::int32_t first, std::int32_t last, std::int64_t end_ns, double wall_s) {
  record::JobRecord p;
  p.job.key = {"c", "77", "0", 0, 0};
  p.job.user = "alice";
  p.job.rank_count = 8;
  p.job.start_ns = kStart;
  p.job.end_ns = end_ns;
  p.job.partial = true;
  p.job.partial_reason = "missing ranks";
  p.has_mpi = true;
  p.counter_names = {"instructions"};
  for (std::int32_t r = first; r <= last; ++r) {
    record::RankRow row;
    row.rank = r;
    row.node = r < 4 ? "n1" : "n2";
    row.wall_s = wall_s;
    row.mpi_s = r;
    row.rss_hwm_bytes = 1000u * static_cast<std::uint64_t>(r + 1);
    row.counters = {100.0 * r};
    p.ranks.push_back(row);
    record::MpiFunctionRow send{r, "MPI_Send", 10u * static_cast<std::uint64_t>(r + 1), 1000, 0, 0.5, 0.01, 0.1, {}};
    send.size_hist[10] = send.calls;
    p.mpi.push_back(send);
    p.mpi.push_back({r, "MPI_Barrier", 1, 0, 0, 0.25, 0.25, 0.25, {}});
    p.traffic.push_back({r, 0, (r + 1) % 8, 10u * static_cast<std::uint64_t>(r + 1), 1000});
    p.series.push_back({"rank", std::to_string(r), "rss", "B", "proc", {kStart, kStart + 1}, {1.0 * r, 2.0 * r}});
  }
  return p;
}

record::JobRecord node_part(const std::string& node, std::int64_t end_ns, std::int32_t exit_status) {
  record::JobRecord p;
  p.job.key = {"c", "77", "0", 0, 0};
  p.job.rank_count = 8;
  p.job.start_ns = kStart - 5;
  p.job.end_ns = end_ns;
  p.job.exit_status_known = true;
  p.job.exit_status = exit_status;
  p.has_mpi = false;
  record::NodeRow n;
  n.node = node;
  n.cpus = 4;
  n.cpu_util_mean = node == "n1" ? 0.5 : 0.75;
  p.nodes.push_back(n);
  p.series.push_back({"node", node, "cpu_util", "1", "proc", {kStart}, {n.cpu_util_mean}});
  return p;
}

TEST(Merge, OverlappingPartsGiveEachRankOnceAndMissingRanks) {
  auto a = mpi_part(0, 3, kStart + 100, 10.0);
  auto b = mpi_part(2, 5, kStart + 200, 20.0);  // later end: its rows 2-3 win
  auto m = store::merge({a, b});
  ASSERT_EQ(m.ranks.size(), 6u);
  for (std::int32_t r = 0; r < 6; ++r) EXPECT_EQ(m.ranks[static_cast<std::size_t>(r)].rank, r);
  EXPECT_TRUE(m.job.partial);
  EXPECT_EQ(m.job.partial_reason, "missing ranks 6-7");
  EXPECT_EQ(m.job.rank_count, 8u);
  // Conflicting duplicates: ranks 2-3 come from b (latest end time), 0-1 from a.
  EXPECT_EQ(m.ranks[0].wall_s, 10.0);
  EXPECT_EQ(m.ranks[2].wall_s, 20.0);
  EXPECT_EQ(m.ranks[3].wall_s, 20.0);
  // Sums over ranks 0-5, each once.
  double mpi_sum = 0;
  std::uint64_t rss_sum = 0;
  double counter_sum = 0;
  for (const auto& r : m.ranks) mpi_sum += r.mpi_s, rss_sum += r.rss_hwm_bytes, counter_sum += r.counters[0];
  EXPECT_EQ(mpi_sum, 0 + 1 + 2 + 3 + 4 + 5);
  EXPECT_EQ(rss_sum, 1000u * (1 + 2 + 3 + 4 + 5 + 6));
  EXPECT_EQ(counter_sum, 100.0 * 15);
  ASSERT_EQ(m.mpi.size(), 12u);  // (rank, function) once each
  std::uint64_t send_calls = 0, hist_sum = 0;
  for (const auto& row : m.mpi)
    if (row.function == "MPI_Send") send_calls += row.calls, hist_sum += row.size_hist[10];
  EXPECT_EQ(send_calls, 10u * (1 + 2 + 3 + 4 + 5 + 6));
  EXPECT_EQ(hist_sum, send_calls);
  ASSERT_EQ(m.traffic.size(), 6u);
  std::uint64_t messages = 0;
  for (const auto& t : m.traffic) messages += t.messages;
  EXPECT_EQ(messages, 10u * 21);
  EXPECT_EQ(m.series.size(), 6u);
  EXPECT_TRUE(store::check_consistency(m).empty());
}

TEST(Merge, IdenticalPartsDedupe) {
  auto a = mpi_part(0, 7, kStart + 100, 10.0);
  auto m = store::merge({a, a});
  EXPECT_EQ(m.ranks.size(), 8u);
  EXPECT_EQ(m.mpi.size(), 16u);
  EXPECT_FALSE(m.job.partial);  // every rank present: the parts' "missing ranks" no longer holds
  EXPECT_EQ(m.job.partial_reason, "");
}

TEST(Merge, EqualEndTimesLaterPartWins) {
  auto a = mpi_part(0, 3, kStart + 100, 10.0);
  auto b = mpi_part(0, 3, kStart + 100, 30.0);
  EXPECT_EQ(store::merge({a, b}).ranks[0].wall_s, 30.0);
  EXPECT_EQ(store::merge({b, a}).ranks[0].wall_s, 10.0);
}

TEST(Merge, EndTimeAndExitStatusComeFromNodePartials) {
  auto rank0 = mpi_part(0, 7, kStart + 900, 10.0);  // rank 0 saw MPI_Finalize late
  rank0.job.exit_status_known = true;
  rank0.job.exit_status = 0;
  auto n1 = node_part("n1", kStart + 500, 0);
  auto n2 = node_part("n2", kStart + 600, 137);
  auto m = store::merge({n1, rank0, n2});
  EXPECT_EQ(m.job.end_ns, kStart + 600);
  EXPECT_TRUE(m.job.exit_status_known);
  EXPECT_EQ(m.job.exit_status, 137);
  EXPECT_EQ(m.job.start_ns, kStart - 5);  // earliest start of any part
  EXPECT_EQ(m.job.user, "alice");         // descriptive fields from the MPI part
  EXPECT_TRUE(m.has_mpi);
  ASSERT_EQ(m.nodes.size(), 2u);
  EXPECT_EQ(m.nodes[0].node, "n1");
  EXPECT_EQ(m.nodes[1].cpu_util_mean, 0.75);
  EXPECT_EQ(m.job.node_count, 2u);
  EXPECT_EQ(m.series.size(), 8u + 2u);
  EXPECT_FALSE(m.job.partial);
}

TEST(Merge, WithoutNodePartialsRankZeroEndIsUsed) {
  auto m = store::merge({mpi_part(0, 7, kStart + 900, 10.0)});
  EXPECT_EQ(m.job.end_ns, kStart + 900);
  EXPECT_FALSE(m.job.exit_status_known);
}

TEST(Merge, OtherPartialReasonsSurvive) {
  auto a = mpi_part(0, 7, kStart + 100, 10.0);
  a.job.partial_reason = "rank 3 died";
  auto m = store::merge({a, mpi_part(0, 0, kStart, 1.0)});
  EXPECT_TRUE(m.job.partial);
  EXPECT_EQ(m.job.partial_reason, "rank 3 died");
}

TEST(Merge, CountersAreUnitedByName) {
  auto a = mpi_part(0, 0, kStart, 1.0);
  auto b = mpi_part(1, 1, kStart, 1.0);
  b.counter_names = {"cycles"};
  b.ranks[0].counters = {5.0};
  auto m = store::merge({a, b});
  ASSERT_EQ(m.counter_names, (std::vector<std::string>{"instructions", "cycles"}));
  EXPECT_EQ(m.ranks[0].counters[0], 0.0);
  EXPECT_TRUE(std::isnan(m.ranks[0].counters[1]));
  EXPECT_TRUE(std::isnan(m.ranks[1].counters[0]));
  EXPECT_EQ(m.ranks[1].counters[1], 5.0);
}

TEST(Merge, SurvivesWriteAndRead) {
  auto dir = std::filesystem::temp_directory_path() / ("hpcmon_merge_" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  auto m = store::merge({mpi_part(0, 3, kStart + 100, 10.0), mpi_part(2, 5, kStart + 200, 20.0)});
  store::write_record(dir / "m.h5", m);
  auto back = store::read_record(dir / "m.h5");
  EXPECT_EQ(back.ranks.size(), 6u);
  EXPECT_EQ(back.job.partial_reason, "missing ranks 6-7");
  std::filesystem::remove_all(dir);
}

}  // namespace

namespace {

TEST(Merge, MissingRanksFromGapsAndHugeRankCount) {
  auto a = mpi_part(0, 0, kStart, 1.0);
  auto b = mpi_part(3, 3, kStart, 1.0);
  auto m = store::merge({a, b});
  EXPECT_EQ(m.job.partial_reason, "missing ranks 1-2, 4-7");
  a.job.rank_count = 4'000'000'000u;  // a damaged part must not make merge allocate per rank
  EXPECT_EQ(store::merge({a}).job.partial_reason, "missing ranks 1-2147483647");
  auto c = mpi_part(0, 6, kStart, 1.0);
  EXPECT_EQ(store::merge({c}).job.partial_reason, "missing rank 7");
}

}  // namespace
