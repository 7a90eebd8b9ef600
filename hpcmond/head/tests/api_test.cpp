// The daemon end to end (run() on a thread, libcurl on loopback): every endpoint's shape,
// job filters and pagination, Slurm job id syntax, parameter errors, /metrics, access
// control in token mode, and configuration reload.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <regex>
#include <sstream>

#include "harness.hpp"
#include "hpcmon/head/record_index.hpp"

namespace hpcmon::head {
namespace {

namespace fs = std::filesystem;
using test::http;

const std::int64_t kStart = 1795813200LL * 1000000000LL;  // 2026-11-27T21:00:00Z

config::Config base_config(const fs::path& dir) {
  config::Config config = test::records_config(dir);
  config.general.node_sample_interval_s = 0.2;
  config.source = (dir / "config.yaml").string();
  return config;
}

void write_jobs(const fs::path& records) {
  const std::string me = user_name(::getuid());
  auto put = [&](const std::string& job, const std::string& step, std::int64_t start, int exit_status) {
    auto key = test::key_of(job, step);
    store::write_record(store::record_path(records, me, start, key),
                        test::mpi_record(job, step, {"n1"}, 2, start));
    store::write_record(store::node_partial_path(records, me, start, key, "n1"),
                        test::node_partial(job, step, "n1", start, exit_status, 1));
  };
  put("12", "batch", kStart, 0);
  put("12", "0", kStart + 1'000'000'000LL, 0);
  put("13_3", "0", kStart + 3600'000'000'000LL, 1);
  put("14+1", "0", kStart + 7200'000'000'000LL, 0);
}

class Api : public ::testing::Test {
 protected:
  void SetUp() override {
    write_jobs(dir.path() / "records");
    daemon = std::make_unique<test::Daemon>(base_config(dir.path()));
    ASSERT_TRUE(test::eventually([&] {
      return http(daemon->url("/api/v1/jobs")).json()["data"]["total"] == 3;
    }));
  }
  void TearDown() override { daemon.reset(); }
  nlohmann::json data(const std::string& path) { return http(daemon->url(path)).json()["data"]; }
  test::TempDir dir;
  std::unique_ptr<test::Daemon> daemon;
};

TEST_F(Api, HealthAndSystemMetrics) {
  const auto health = data("/api/v1/health");
  EXPECT_EQ(health["status"], "ok");
  EXPECT_EQ(health["access"], "open");
  EXPECT_EQ(health["system_sources"].size(), 6u);
  const auto metrics = data("/api/v1/metrics");
  EXPECT_GT(metrics["metrics"]["mem.total_bytes"]["value"].get<double>(), 0) << metrics.dump().substr(0, 400);
  EXPECT_EQ(metrics["metrics"]["mem.total_bytes"]["unit"], "B");
}

TEST_F(Api, HistoryServesTheRecentWindowAndNamesBadParameters) {
  ASSERT_TRUE(test::eventually([&] { return data("/api/v1/metrics/history?metric=load.1m")["samples"].size() >= 4; }));
  const auto all = data("/api/v1/metrics/history?metric=load.1m");
  for (const auto& sample : all["samples"]) EXPECT_EQ(sample["values"].size(), 1u);
  // A step of 1 s keeps at most one sample per second of the window.
  const std::string now = std::to_string(test::now_ns() / 1000000000LL + 1);
  const std::string from = std::to_string(test::now_ns() / 1000000000LL - 60);
  const auto stepped = data("/api/v1/metrics/history?metric=load&step=1&start=" + from + "&end=" + now);
  EXPECT_LT(stepped["samples"].size(), all["samples"].size());
  // Nothing lies in a window of the past.
  EXPECT_EQ(data("/api/v1/metrics/history?start=2020-01-01T00:00:00Z&end=2020-01-02T00:00:00Z")["samples"].size(), 0u);
  for (const auto& [query, parameter] : std::vector<std::pair<std::string, std::string>>{
           {"start=yesterday", "start"}, {"end=2026-13-01T00:00:00Z", "end"}, {"step=0", "step"},
           {"start=200&end=100", "start"}}) {
    const auto reply = http(daemon->url("/api/v1/metrics/history?" + query));
    EXPECT_EQ(reply.status, 400) << query;
    EXPECT_EQ(reply.json()["error"]["parameter"], parameter) << query;
  }
}

TEST_F(Api, JobsListFiltersAndPages) {
  auto list = data("/api/v1/jobs");
  ASSERT_EQ(list["jobs"].size(), 3u);
  EXPECT_EQ(list["jobs"][0]["job"], "14+1");  // newest first
  EXPECT_EQ(list["jobs"][2]["job"], "12");
  EXPECT_EQ(list["jobs"][2]["steps"], 2);
  EXPECT_EQ(list["jobs"][2]["user"], user_name(::getuid()));
  EXPECT_EQ(data("/api/v1/jobs?state=failed")["jobs"].size(), 1u);
  EXPECT_EQ(data("/api/v1/jobs?state=failed")["jobs"][0]["job"], "13_3");
  EXPECT_EQ(data("/api/v1/jobs?user=nobody")["total"], 0);
  EXPECT_EQ(data("/api/v1/jobs?since=2026-11-27T21:30:00Z")["total"], 2);
  EXPECT_EQ(data("/api/v1/jobs?until=1795815000")["total"], 1);
  const auto page = data("/api/v1/jobs?limit=1&offset=1");
  EXPECT_EQ(page["total"], 3);
  ASSERT_EQ(page["jobs"].size(), 1u);
  EXPECT_EQ(page["jobs"][0]["job"], "13_3");
  for (const auto& [query, parameter] : std::vector<std::pair<std::string, std::string>>{
           {"limit=0", "limit"}, {"limit=abc", "limit"}, {"offset=-1", "offset"},
           {"since=soon", "since"}, {"until=x", "until"}}) {
    const auto reply = http(daemon->url("/api/v1/jobs?" + query));
    EXPECT_EQ(reply.status, 400) << query;
    EXPECT_EQ(reply.json()["error"]["parameter"], parameter) << query;
  }
}

TEST_F(Api, OneJobBySlurmIdSyntax) {
  const auto job = data("/api/v1/jobs/12");
  EXPECT_EQ(job["steps"].size(), 2u);
  EXPECT_EQ(job["state"], "completed");
  EXPECT_EQ(job["steps"][0]["merge"], "merged");
  EXPECT_EQ(job["steps"][0]["summary"]["ranks"], 2);
  const auto batch = data("/api/v1/jobs/12.batch");
  ASSERT_EQ(batch["steps"].size(), 1u);
  EXPECT_EQ(batch["steps"][0]["step"], "batch");
  EXPECT_EQ(data("/api/v1/jobs/12.0")["steps"][0]["step"], "0");
  EXPECT_EQ(data("/api/v1/jobs/13_3")["steps"][0]["exit_status"], 1);
  EXPECT_EQ(data("/api/v1/jobs/14+1")["job"], "14+1");
  EXPECT_EQ(http(daemon->url("/api/v1/jobs/12.7")).status, 404);
  EXPECT_EQ(http(daemon->url("/api/v1/jobs/99")).status, 404);
  const auto bad = http(daemon->url("/api/v1/jobs/12.nope"));
  EXPECT_EQ(bad.status, 400);
  EXPECT_EQ(bad.json()["error"]["parameter"], "id");
}

TEST_F(Api, HpcSummaryAlertsAndNodesWithoutSlurm) {
  const auto hpc = data("/api/v1/metrics/hpc");
  EXPECT_EQ(hpc["records"]["jobs"], 3);
  EXPECT_EQ(hpc["records"]["merges"], 4);
  EXPECT_EQ(data("/api/v1/alerts")["alerts"].size(), 0u);
  // Without SLURM_CONF pointing at a cluster the nodes endpoint says Slurm is unavailable.
  if (!std::getenv("SLURM_CONF")) {
    EXPECT_EQ(http(daemon->url("/api/v1/nodes")).status, 503);
  }
}

TEST_F(Api, PrometheusExpositionHasBoundedLabels) {
  const auto reply = http(daemon->url("/metrics"));
  EXPECT_EQ(reply.status, 200);
  EXPECT_EQ(reply.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(reply.body.find("# TYPE hpcmon_node_mem_total_bytes gauge\n"), std::string::npos);
  EXPECT_NE(reply.body.find("hpcmon_records_jobs{cluster=\"local\"} 3\n"), std::string::npos);
  EXPECT_NE(reply.body.find("hpcmon_records_merges_total{cluster=\"local\"} 4\n"), std::string::npos);
  // Every sample line carries the cluster label, the node label, and at most one per-device
  // label (core, disk, interface, filesystem): cardinality bounded by the node's hardware.
  const std::regex label(R"re(([a-z_]+)="((?:[^"\\]|\\.)*)")re");
  std::istringstream lines(reply.body);
  std::string line;
  int samples = 0;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    // Alerts: cluster, alertname, severity, state (bounded by the configured rules).
    if (line.rfind("hpcmon_alerts{", 0) == 0) continue;
    ++samples;
    const auto open = line.find('{'), close = line.rfind('}');
    ASSERT_NE(open, std::string::npos) << line;
    const std::string labels = line.substr(open + 1, close - open - 1);
    std::vector<std::string> keys;
    for (std::sregex_iterator it(labels.begin(), labels.end(), label), end; it != end; ++it)
      keys.push_back((*it)[1]);
    ASSERT_FALSE(keys.empty()) << line;
    EXPECT_EQ(keys[0], "cluster") << line;
    EXPECT_LE(keys.size(), 3u) << line;
    if (keys.size() >= 2) {
      EXPECT_EQ(keys[1], "node") << line;
    }
    if (keys.size() == 3) {
      EXPECT_TRUE(keys[2] == "cpu" || keys[2] == "device" || keys[2] == "interface" || keys[2] == "mountpoint")
          << line;
    }
  }
  // Per-core figures are one family with a cpu label, described once.
  EXPECT_NE(reply.body.find(",cpu=\"cpu0\"} "), std::string::npos);
  EXPECT_NE(reply.body.find(",cpu=\"total\"} "), std::string::npos);
  std::size_t type_lines = 0;
  for (auto at = reply.body.find("# TYPE hpcmon_node_cpu_user_s gauge\n"); at != std::string::npos;
       at = reply.body.find("# TYPE hpcmon_node_cpu_user_s gauge\n", at + 1))
    ++type_lines;
  EXPECT_EQ(type_lines, 1u);
  EXPECT_GT(samples, 20);
}

TEST_F(Api, WritesWithoutTheHumanTokenAreRefused) {
  const auto anonymous = http(daemon->url("/api/v1/alerts/acknowledge"), "POST", R"({"id":"a"})");
  EXPECT_EQ(anonymous.status, 401);
  EXPECT_EQ(anonymous.json()["error"]["type"], "unauthorized");
  const auto wrong = http(daemon->url("/api/v1/alerts/acknowledge"), "POST", R"({"id":"a"})",
                          {"Authorization: Bearer not-the-token-at-all"});
  EXPECT_EQ(wrong.status, 403);
}

TEST(ApiAccess, TokenModeNeedsTheHumanTokenAndAUnsafeFileIsRefused) {
  test::TempDir dir;
  const std::string human = "h-0123456789abcdef0123", agent = "a-0123456789abcdef0123";
  test::write_text(dir.path() / "api.token", human + "\n", 0600);
  test::write_text(dir.path() / "agent.token", agent + "\n", 0600);
  config::Config config = base_config(dir.path());
  config.api.access = "token";
  {
    test::Daemon daemon(config);
    const auto url = daemon.url("/api/v1/jobs");
    EXPECT_EQ(http(url).status, 401);
    EXPECT_EQ(http(url, "GET", "", {"Authorization: Bearer " + agent}).status, 403);  // agent scope
    EXPECT_EQ(http(url, "GET", "", {"Authorization: Bearer " + human}).status, 200);
    EXPECT_EQ(http(daemon.url("/api/v1/health")).status, 200);  // liveness stays open
    const auto ack = http(daemon.url("/api/v1/alerts/acknowledge"), "POST", R"({"id":"a"})",
                          {"Authorization: Bearer " + human});
    EXPECT_EQ(ack.status, 404);  // accepted, but no such alert yet
    EXPECT_EQ(http(daemon.url("/api/v1/alerts/acknowledge"), "POST", "not json",
                   {"Authorization: Bearer " + human}).status, 400);
  }
  fs::permissions(dir.path() / "api.token", static_cast<fs::perms>(0644));
  std::atomic<bool> stop{true};
  EXPECT_EQ(run(config, stop), 1);  // a token file others can read: refuses to start
}

TEST(ApiReload, ABadNewConfigurationIsRefusedAndTheOldOneStays) {
  test::TempDir dir;
  test::write_text(dir.path() / "api.token", "h-0123456789abcdef0123\n", 0600);
  config::Config config = base_config(dir.path());
  test::write_text(config.source, "api:\n  access: open\n", 0644);
  test::Daemon daemon(config);
  const auto url = daemon.url("/api/v1/jobs");
  EXPECT_EQ(http(url).status, 200);
  test::write_text(config.source, "api:\n  access: sometimes\n", 0644);
  daemon.reload();
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_EQ(http(url).status, 200);
  EXPECT_EQ(http(daemon.url("/api/v1/health")).json()["data"]["access"], "open");
  test::write_text(config.source,
                   "api:\n  access: token\n  token_file: " + (dir.path() / "api.token").string() + "\n", 0644);
  daemon.reload();
  EXPECT_TRUE(test::eventually([&] { return http(url).status == 401; }));
  EXPECT_EQ(http(daemon.url("/api/v1/health")).json()["data"]["access"], "token");
}

}  // namespace
}  // namespace hpcmon::head

namespace hpcmon::head {
namespace {

TEST(AgentPush, NeedsTheAgentTokenStoresEachSequenceOnceAndRecordReadyTriggersAScan) {
  test::TempDir dir;
  const std::string human = "h-0123456789abcdef0123", agent = "a-0123456789abcdef0123";
  test::write_text(dir.path() / "api.token", human + "\n", 0600);
  test::write_text(dir.path() / "agent.token", agent + "\n", 0600);
  config::Config config = base_config(dir.path());
  config.api.record_scan_interval_s = 3600;  // only a notice can make the scan run again
  test::Daemon daemon(config);
  const auto url = daemon.agent_url("/api/v1/agent/push");
  EXPECT_EQ(http(daemon.url("/api/v1/agent/push"), "POST", "{}").status, 404);  // not on the API port
  EXPECT_EQ(http(daemon.agent_url("/api/v1/jobs")).status, 404);               // nor reads on the agents' port
  const std::string auth = "Authorization: Bearer " + agent;
  auto samples = [](std::uint64_t seq, double cpu) {
    return nlohmann::json{{"v", 1}, {"kind", "samples"}, {"seq", seq},
                          {"agent", {{"node", "n7"}, {"instance", "3fa9c2d41e07b5a8"}, {"hostname", "n7"}}},
                          {"sent_ns", 1795814206480333825LL + static_cast<std::int64_t>(seq)},
                          {"samples", {{"node", {{{"t_ns", 1}, {"cpu_util", cpu}}}},
                                       {"steps", {{{"cluster", "testcl"}, {"job", "80"}, {"step", "0"}, {"cpu_s", 1.5}}}}}}}
        .dump();
  };
  EXPECT_EQ(http(url, "POST", samples(1, 0.5)).status, 401);
  EXPECT_EQ(http(url, "POST", samples(1, 0.5), {"Authorization: Bearer " + human}).status, 403);
  const auto first = http(url, "POST", samples(1, 0.5), {auth});
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.json()["data"]["stored"], true);
  const auto again = http(url, "POST", samples(1, 0.9), {auth});  // a retry after a lost answer
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.json()["data"]["duplicate"], true);
  EXPECT_EQ(http(url, "POST", samples(3, 0.7), {auth}).json()["data"]["stored"], true);
  EXPECT_EQ(http(url, "POST", samples(2, 0.6), {auth}).json()["data"]["stored"], true);  // late, not a duplicate
  EXPECT_EQ(http(url, "POST", samples(3, 0.1), {auth}).json()["data"]["duplicate"], true);
  auto bad = nlohmann::json::parse(samples(4, 0.1));
  bad["v"] = 2;
  EXPECT_EQ(http(url, "POST", bad.dump(), {auth}).status, 400);
  EXPECT_EQ(http(url, "POST", "{", {auth}).status, 400);
  const auto live = http(daemon.url("/api/v1/agents")).json()["data"];
  EXPECT_EQ(live["stored"], 3);
  EXPECT_EQ(live["duplicates"], 2);
  EXPECT_EQ(live["agents"]["n7"]["reading"]["cpu_util"], 0.6);  // the last one received
  EXPECT_EQ(live["agents"]["n7"]["steps"][0]["job"], "80");

  // A node partial appears; the agent's notice makes the daemon scan now, not in an hour.
  const std::int64_t start = 1795813200LL * 1000000000LL;
  store::write_record(store::node_partial_path(dir.path() / "records", user_name(::getuid()), start,
                                               test::key_of("80", "0"), "n7"),
                      test::node_partial("80", "0", "n7", start, 0, 1));
  nlohmann::json notice = {{"v", 1}, {"kind", "record_ready"}, {"seq", 4},
                           {"agent", {{"node", "n7"}, {"instance", "3fa9c2d41e07b5a8"}}},
                           {"record", {{"cluster", "testcl"}, {"job", "80"}, {"step", "0"}, {"user", "root"}}}};
  EXPECT_EQ(http(url, "POST", notice.dump(), {auth}).status, 200);
  EXPECT_TRUE(test::eventually([&] { return http(daemon.url("/api/v1/jobs/80")).status == 200; }, 2));
  EXPECT_TRUE(http(daemon.url("/api/v1/agents")).json()["data"]["agents"]["n7"]["steps"].empty());
}

}  // namespace
}  // namespace hpcmon::head

namespace hpcmon::head {
namespace {

// Job ids wrap at MaxJobId: two records of job 500 a day apart, unknown to Slurm, are two
// jobs; /api/v1/jobs/500 answers the newest and lists the other under "other_runs".
TEST(JobIdentity, SameIdADayApartIsTwoJobsAndTheNewestAnswers) {
  test::TempDir dir;
  const fs::path records = dir.path() / "records";
  const std::string me = user_name(::getuid());
  const std::int64_t old_start = 1795813200LL * 1000000000LL;
  const std::int64_t new_start = old_start + 86400LL * 1000000000LL;
  auto older = test::mpi_record("500", "0", {"n1"}, 2, old_start);
  older.job.job_name = "older";
  auto newer = test::mpi_record("500", "0", {"n1"}, 2, new_start);
  newer.job.job_name = "newer";
  store::write_record(store::record_path(records, me, old_start, older.job.key), older);
  store::write_record(store::record_path(records, me, new_start, newer.job.key), newer);
  // A second step of the newer job: same run, not a third job.
  auto second_step = test::mpi_record("500", "1", {"n1"}, 2, new_start + 20'000'000'000LL);
  store::write_record(store::record_path(records, me, new_start + 20'000'000'000LL, second_step.job.key), second_step);
  test::Daemon daemon(base_config(dir.path()));
  ASSERT_TRUE(test::eventually([&] { return http(daemon.url("/api/v1/jobs")).json()["data"]["total"] == 2; }))
      << http(daemon.url("/api/v1/jobs")).body;
  const auto list = http(daemon.url("/api/v1/jobs")).json()["data"]["jobs"];
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0]["name"], "newer");
  EXPECT_EQ(list[0]["steps"], 2);
  EXPECT_EQ(list[0]["submit_source"], "record_start");
  EXPECT_EQ(list[0]["submit"], list[0]["start"]);
  EXPECT_EQ(list[1]["name"], "older");
  EXPECT_EQ(list[1]["steps"], 1);
  EXPECT_NE(list[0]["submit"], list[1]["submit"]);

  const auto one = http(daemon.url("/api/v1/jobs/500")).json()["data"];
  EXPECT_EQ(one["name"], "newer");
  ASSERT_EQ(one["steps"].size(), 2u);
  ASSERT_EQ(one["other_runs"].size(), 1u);
  EXPECT_EQ(one["other_runs"][0]["start"], list[1]["start"]);
  EXPECT_EQ(one["other_runs"][0]["submit"], list[1]["submit"]);
}

// A repeated step id starts another job of the id even without a day's gap (two hours
// apart, across midnight UTC so the two records have their own day folders).
TEST(JobIdentity, RepeatedStepIdStartsAnotherJob) {
  test::TempDir dir;
  const fs::path records = dir.path() / "records";
  const std::string me = user_name(::getuid());
  const std::int64_t first = (1795813200LL + 3600) * 1000000000LL, second = first + 7200LL * 1000000000LL;
  store::write_record(store::record_path(records, me, first, test::key_of("501", "0")),
                      test::mpi_record("501", "0", {"n1"}, 1, first));
  store::write_record(store::record_path(records, me, second, test::key_of("501", "0")),
                      test::mpi_record("501", "0", {"n1"}, 1, second));
  test::Daemon daemon(base_config(dir.path()));
  EXPECT_TRUE(test::eventually([&] { return http(daemon.url("/api/v1/jobs")).json()["data"]["total"] == 2; }))
      << http(daemon.url("/api/v1/jobs")).body;
}

}  // namespace
}  // namespace hpcmon::head
