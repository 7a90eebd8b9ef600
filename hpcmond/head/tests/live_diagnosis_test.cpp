// Live findings from agent pushes (live_diagnosis.hpp): rank tables of a running step with a
// late sender give late_sender naming it, served live; a record notice ends the step's findings.
#include <gtest/gtest.h>

#include <algorithm>
#include <variant>

#include "hpcmon/head/agent_store.hpp"
#include "hpcmon/head/live_diagnosis.hpp"

namespace hpcmon::head {
namespace {

using nlohmann::json;

const std::int64_t kStart = 1795813200LL * 1000000000LL;

// Rank 1 computes 2 s more before each send; rank 0 waited 8 s of its 10 s in 4 receives.
json rank_tables() {
  json rank0 = {{"rank", 0}, {"node", "n1"}, {"state", "running"}, {"world_size", 2}, {"start_ns", kStart},
                {"updated_ns", kStart + 10000000000LL}, {"end_ns", 0}, {"mpi_s", 8.0}, {"user_cpu_s", 10.0},
                {"sys_cpu_s", 0.0}, {"rss_bytes", 1 << 20},
                {"functions", json::array({{{"name", "MPI_Recv"}, {"calls", 4}, {"bytes", 4096}, {"errors", 0},
                                            {"total_s", 8.0}, {"min_s", 1.9}, {"max_s", 2.1},
                                            {"size_hist", json::array({json::array({11, 4})})}}})},
                {"traffic", json::array()}};
  json rank1 = rank0;
  rank1["rank"] = 1;
  rank1["mpi_s"] = 0.01;
  rank1["functions"] = json::array({{{"name", "MPI_Send"}, {"calls", 4}, {"bytes", 4096}, {"errors", 0},
                                     {"total_s", 0.01}, {"min_s", 0.001}, {"max_s", 0.004},
                                     {"size_hist", json::array({json::array({11, 4})})}}});
  rank1["traffic"] = json::array({json::array({0, 0, 4, 4096})});
  return json::array({rank0, rank1});
}

std::string push(std::uint64_t seq, const json& mpi) {
  return json{{"v", 1}, {"kind", "samples"}, {"seq", seq}, {"agent", {{"node", "n1"}, {"instance", "a"}}},
              {"sent_ns", kStart}, {"samples", {{"mpi", json::array({mpi})}}}}
      .dump();
}

TEST(LiveDiagnosis, ALateSenderIsFoundFromThePushedTablesWhileTheStepRuns) {
  AgentStore agents;
  LiveDiagnosis live(agents, config::Diagnosis{});
  EXPECT_TRUE(live.for_job("12").is_null());
  const json mpi = {{"cluster", "testcl"}, {"job", "12"}, {"step", "0"}, {"t_ns", kStart + 10000000000LL},
                    {"ranks", 2}, {"rank_tables", rank_tables()}};
  ASSERT_TRUE(std::holds_alternative<json>(agents.push(push(1, mpi), kStart)));
  live.evaluate(kStart + 10000000000LL);
  const json job = live.for_job("12");
  ASSERT_FALSE(job.is_null());
  EXPECT_EQ(job["live"], true);
  ASSERT_EQ(job["steps"].size(), 1u);
  EXPECT_EQ(job["steps"][0]["ranks"], 2);
  const json& findings = job["steps"][0]["findings"];
  ASSERT_FALSE(findings.empty()) << job.dump(2);
  EXPECT_EQ(findings[0]["rule"], "late_sender");
  EXPECT_EQ(findings[0]["ranks"], json::array({1}));
  EXPECT_NEAR(findings[0]["quantity"].get<double>(), 8.0, 0.01);
  const auto metric = live.findings();
  ASSERT_FALSE(metric.empty());
  EXPECT_EQ(metric[0].job, "12");
  EXPECT_EQ(metric[0].step, "0");
  EXPECT_EQ(metric[0].rule, "late_sender");
  // The step ends on its node: no findings of a running step any more.
  const json ready = {{"v", 1}, {"kind", "record_ready"}, {"seq", 2}, {"agent", {{"node", "n1"}, {"instance", "a"}}},
                      {"record", {{"cluster", "testcl"}, {"job", "12"}, {"step", "0"}}}};
  ASSERT_TRUE(std::holds_alternative<json>(agents.push(ready.dump(), kStart)));
  live.evaluate(kStart + 11000000000LL);
  EXPECT_TRUE(live.for_job("12").is_null());
  EXPECT_TRUE(live.findings().empty());
  EXPECT_EQ(live.evaluations(), 2u);
}

TEST(LiveDiagnosis, RulesOfTheWholeRunAreNotEvaluatedLiveAndBadTablesAreSkipped) {
  const auto& rules = live_rules();
  EXPECT_EQ(std::count(rules.begin(), rules.end(), "memory_growth"), 0);
  EXPECT_EQ(std::count(rules.begin(), rules.end(), "cores_overrequested"), 0);
  json tables = rank_tables();
  tables.push_back({{"rank", "x"}});
  tables.push_back({{"rank", 0}});  // a second table of rank 0: the first is kept
  const record::JobRecord rec = live_record("testcl", "12", "0", tables.get<std::vector<json>>());
  ASSERT_EQ(rec.ranks.size(), 2u);
  EXPECT_DOUBLE_EQ(rec.ranks[0].wall_s, 10.0);
  EXPECT_DOUBLE_EQ(rec.ranks[0].mpi_s, 8.0);
  ASSERT_EQ(rec.mpi.size(), 2u);
  EXPECT_EQ(rec.mpi[0].size_hist[11], 4u);
  ASSERT_EQ(rec.traffic.size(), 1u);
  EXPECT_EQ(rec.traffic[0].src, 1);
  EXPECT_EQ(rec.traffic[0].dst, 0);
}

}  // namespace
}  // namespace hpcmon::head
