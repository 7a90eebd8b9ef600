// GET /api/v1/jobs/{id}/trace/summary through real HTTP: the trace of rank 0's record,
// analysed as `hpcmon trace summary` does (docs/tracing.md), and a typed 404 without a trace.
#include <gtest/gtest.h>
#include <unistd.h>

#include "harness.hpp"
#include "hpcmon/head/record_index.hpp"
#include "hpcmon/store.hpp"
#include "hpcmon/trace.hpp"

namespace hpcmon::head {
namespace {

using test::http;

// Rank 1 enters MPI_Recv 1 ms before rank 0 starts the matching MPI_Send: a late sender.
class PlantedTrace : public store::TraceSource {
 public:
  explicit PlantedTrace(std::int64_t start) : start_(start) {}
  std::vector<std::string> function_names() const override { return {"MPI_Send", "MPI_Recv"}; }
  bool next(std::vector<record::TraceEvent>& events) override {
    events.clear();
    if (done_) return false;
    done_ = true;
    events.push_back({0, 0, 0, 1, 5, 0, 64, start_ + 1'000'000, start_ + 1'200'000});
    events.push_back({1, 0, 1, 0, 5, 0, 64, start_, start_ + 1'300'000});
    return true;
  }
  std::vector<record::TraceRank> ranks() const override { return {{0, 1, 0, 16}, {1, 1, 0, 16}}; }

 private:
  std::int64_t start_;
  bool done_ = false;
};

TEST(ApiTrace, TheSummaryOfRankZerosTraceAndA404WithoutOne) {
  test::TempDir dir;
  const std::int64_t start = 1795813200LL * 1000000000LL;
  const auto records = dir.path() / "records";
  const auto traced = test::mpi_record("90", "0", {"n1"}, 2, start);
  PlantedTrace trace(start + 1'000'000'000);
  ASSERT_TRUE(store::write_record_if_absent(store::record_path(records, user_name(::getuid()), start, traced.job.key),
                                            traced, &trace));
  const auto plain = test::mpi_record("91", "0", {"n1"}, 2, start);
  store::write_record(store::record_path(records, user_name(::getuid()), start, plain.job.key), plain);

  config::Config config = config::defaults();
  config.general.log_level = "off";
  config.hpc.record_dir = records.string();
  config.api.record_scan_interval_s = 0.2;
  config.api.merge_timeout_s = 0;
  config.api.token_file = (dir.path() / "api.token").string();
  config.api.agent_token_file = (dir.path() / "agent.token").string();
  test::Daemon daemon(config);
  ASSERT_TRUE(test::eventually([&] {
    return http(daemon.url("/api/v1/jobs/90")).status == 200 && http(daemon.url("/api/v1/jobs/91")).status == 200;
  }));

  const auto reply = http(daemon.url("/api/v1/jobs/90/trace/summary"));
  ASSERT_EQ(reply.status, 200) << reply.body;
  const auto data = reply.json()["data"];
  ASSERT_EQ(data["steps"].size(), 1u) << data.dump(2);
  const auto& s = data["steps"][0]["summary"];
  EXPECT_EQ(data["steps"][0]["step"], "0");
  EXPECT_EQ(s["events"], 2);
  EXPECT_EQ(s["ranks"], 2);
  EXPECT_EQ(s["messages_matched"], 1);
  ASSERT_EQ(s["waits"].size(), 1u) << s.dump(2);
  EXPECT_EQ(s["waits"][0]["waiter"], 1);
  EXPECT_EQ(s["waits"][0]["waited_for"], 0);
  EXPECT_EQ(s["waits"][0]["kind"], "late_sender");
  EXPECT_EQ(s["waits"][0]["wait_ns"], 1'000'000);
  EXPECT_EQ(s["rank_wait_ns"], nlohmann::json::array({0, 1'000'000}));
  ASSERT_EQ(s["functions"].size(), 2u);
  EXPECT_EQ(s["functions"][0]["function"], "MPI_Recv");  // largest total first
  EXPECT_EQ(s["functions"][0]["max_ns"], 1'300'000);

  const auto none = http(daemon.url("/api/v1/jobs/91/trace/summary"));
  EXPECT_EQ(none.status, 404);
  EXPECT_NE(none.body.find("has no MPI trace"), std::string::npos) << none.body;
  EXPECT_EQ(http(daemon.url("/api/v1/jobs/99/trace/summary")).status, 404);

  // The record endpoint says per step whether there is a trace to ask for (the dashboard's cue).
  EXPECT_EQ(http(daemon.url("/api/v1/jobs/90/record")).json()["data"]["steps"][0]["traced"], true);
  EXPECT_EQ(http(daemon.url("/api/v1/jobs/91/record")).json()["data"]["steps"][0]["traced"], false);
}

}  // namespace
}  // namespace hpcmon::head
