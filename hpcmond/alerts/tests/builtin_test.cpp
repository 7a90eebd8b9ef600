// Each built-in rule fired by real input to the shipped hpcmond: agent pushes over HTTP
// (NodeDown, JobIdle, JobMemoryNearLimit), the head's own /proc with the system.*
// thresholds set low (NodeCpuHigh, NodeMemoryHigh, NodeDiskFull), and record files in the
// record directory whose merge waits for a node (RecordMissing).
#include <pwd.h>

#include <gtest/gtest.h>

#include "../../head/tests/harness.hpp"
#include "daemon.hpp"

namespace hpcmon::alerts::test {
namespace {

std::string only(const std::string& keep) {
  std::string disabled;
  for (const char* name : {"NodeDown", "NodeCpuHigh", "NodeMemoryHigh", "NodeDiskFull", "JobIdle",
                           "JobMemoryNearLimit", "RecordMissing"})
    if (keep.find(name) == std::string::npos) disabled += (disabled.empty() ? "" : ", ") + std::string(name);
  return "  evaluation_interval_s: 0.1\n  disabled_builtins: [" + disabled + "]\n";
}

json node_reading() { return json::array({{{"t_ns", now_ns()}, {"cpu_util", 0.5}, {"load1", 0.1}}}); }

TEST(Builtin, NodeDownWhenTheAgentFallsSilentAndUpWhenItReturns) {
  TempDir dir;
  // agent.push_interval_s is 0.5 (daemon.hpp): two missed pushes is 1 s of silence.
  Daemon daemon(dir.path(), only("NodeDown") + "  node_down_intervals: 2\n");
  ASSERT_EQ(daemon.push("n3", node_reading()).status, 200);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(daemon.find("NodeDown", "firing").is_null());  // heard 0.3 s ago: up
  json down;
  ASSERT_TRUE(eventually([&] { return !(down = daemon.find("NodeDown", "firing")).is_null(); }, 5));
  EXPECT_EQ(down["labels"]["node"], "n3");
  EXPECT_EQ(down["annotations"]["reason"], "agent silent");
  EXPECT_FALSE(down["labels"].contains("reason"));
  EXPECT_EQ(down["severity"], "critical");
  EXPECT_EQ(down["description"], "node n3 is down: agent silent");
  ASSERT_TRUE(eventually([&] {
    daemon.push("n3", node_reading());
    return !daemon.find("NodeDown", "resolved").is_null();
  }));
  EXPECT_TRUE(daemon.find("NodeDown", "firing").is_null());
}

json step(const std::string& job, std::int64_t t_ns, double cpu_s, double rss, double limit = 0) {
  json out = {{"cluster", "testcl"}, {"job", job}, {"step", "0"}, {"t_ns", t_ns}, {"cpu_s", cpu_s},
              {"rss_bytes", rss}, {"read_bytes", 0}, {"write_bytes", 0}, {"processes", 2}};
  if (limit > 0) out["mem_limit_bytes"] = limit, out["mem_limit_source"] = "cgroup v2";
  return out;
}

TEST(Builtin, JobIdleForAStepWhoseCpuStandsStillButNotForABusyOne) {
  TempDir dir;
  Daemon daemon(dir.path(), only("JobIdle") + "  job_idle_for_s: 1\n  job_idle_cpu_below: 0.05\n");
  const std::int64_t start = now_ns();
  json idle;
  ASSERT_TRUE(eventually([&] {
    const std::int64_t t = now_ns();
    const double seconds = static_cast<double>(t - start) / 1e9;
    // Step 50 keeps 12.5 CPU seconds; step 51 uses one core.
    daemon.push("n4", node_reading(), json::array({step("50", t, 12.5, 1e8), step("51", t, 3 + seconds, 1e8)}));
    return !(idle = daemon.find("JobIdle", "firing")).is_null();
  }));
  EXPECT_EQ(idle["labels"]["job"], "50");
  EXPECT_EQ(idle["labels"]["step"], "0");
  EXPECT_EQ(idle["labels"]["node"], "n4");
  EXPECT_EQ(idle["labels"]["cluster"], "testcl");
  EXPECT_EQ(idle["value"], 0.0);
  EXPECT_GE(idle["fired_ns"].get<std::int64_t>() - idle["active_since_ns"].get<std::int64_t>(), 1000000000);
  EXPECT_EQ(daemon.alerts("?alertname=JobIdle&job=51")["total"], 0);
}

TEST(Builtin, JobMemoryNearLimitAgainstTheStepsCgroupLimit) {
  TempDir dir;
  Daemon daemon(dir.path(), only("JobMemoryNearLimit") + "  job_memory_fraction: 0.9\n");
  json near;
  ASSERT_TRUE(eventually([&] {
    const std::int64_t t = now_ns();
    daemon.push("n5", node_reading(),
                json::array({step("60", t, 1, 950e6, 1000e6), step("61", t, 1, 100e6, 1000e6)}));
    return !(near = daemon.find("JobMemoryNearLimit", "firing")).is_null();
  }));
  EXPECT_EQ(near["labels"]["job"], "60");
  EXPECT_DOUBLE_EQ(near["value"].get<double>(), 0.95);
  // The limit and its source are annotations: they describe the value, not the series.
  EXPECT_EQ(near["annotations"]["limit_bytes"], "1000000000");
  EXPECT_EQ(near["annotations"]["limit_source"], "cgroup v2");
  EXPECT_FALSE(near["labels"].contains("limit_source"));
  EXPECT_EQ(near["description"], "step 60.0 at 0.95 of its memory limit (1000000000 bytes, cgroup v2) on n5");
  EXPECT_EQ(daemon.alerts("?alertname=JobMemoryNearLimit&job=61")["total"], 0);
}

TEST(Builtin, CpuMemoryAndDiskThresholdsOnTheHeadsOwnProc) {
  TempDir dir;
  Daemon daemon(dir.path(), only("NodeCpuHigh NodeMemoryHigh NodeDiskFull") + "  threshold_for_s: 0\n",
                "system:\n  cpu_util_warn: 0.0\n  cpu_util_crit: 0.0\n  memory_used_warn: 0.0\n"
                "  memory_used_crit: 0.0\n  disk_used_warn: 0.0\n  disk_used_crit: 0.0\n");
  const std::string head = http(daemon.url("/api/v1/health")).data()["node"];
  for (const char* rule : {"NodeCpuHigh", "NodeMemoryHigh", "NodeDiskFull"}) {
    json firing;
    ASSERT_TRUE(eventually([&] { return !(firing = daemon.find(rule, "firing")).is_null(); })) << rule;
    EXPECT_EQ(firing["labels"]["node"], head) << rule;
    EXPECT_GE(firing["value"].get<double>(), 0.0);
    EXPECT_LE(firing["value"].get<double>(), 1.0);
    // warning and critical, one alert each
    EXPECT_GE(daemon.alerts(std::string("?state=firing&severity=critical&alertname=") + rule)["total"], 1) << rule;
    EXPECT_GE(daemon.alerts(std::string("?state=firing&severity=warning&alertname=") + rule)["total"], 1) << rule;
  }
  const json disk = daemon.find("NodeDiskFull", "firing");
  EXPECT_FALSE(disk["labels"].value("mountpoint", "").empty());
  // Memory really used on this machine: the fraction is above 0.
  EXPECT_GT(daemon.find("NodeMemoryHigh", "firing")["value"].get<double>(), 0.0);
}

TEST(Builtin, RecordMissingWhileAMergeWaitsForANodeResolvedWhenItsPartialArrives) {
  TempDir dir;
  Daemon daemon(dir.path(), only("RecordMissing") + "  record_missing_after_s: 1\n");
  const fs::path records = dir.path() / "records";
  const std::string user = ::getpwuid(::getuid())->pw_name;
  const std::int64_t start = now_ns() - 120LL * 1000000000;  // ended 110 s ago
  const auto key = head::test::key_of("91", "0");
  store::write_record(store::record_path(records, user, start, key),
                      head::test::mpi_record("91", "0", {"n1", "n2"}, 2, start));
  store::write_record(store::node_partial_path(records, user, start, key, "n1"),
                      head::test::node_partial("91", "0", "n1", start, 0, 2));
  json missing;
  ASSERT_TRUE(eventually([&] { return !(missing = daemon.find("RecordMissing", "firing")).is_null(); }))
      << daemon.log();
  EXPECT_EQ(missing["labels"]["job"], "91");
  EXPECT_EQ(missing["labels"]["step"], "0");
  EXPECT_EQ(missing["labels"]["reason"], "merge pending, no partial from n2");
  EXPECT_EQ(missing["value"], 1.0);
  store::write_record(store::node_partial_path(records, user, start, key, "n2"),
                      head::test::node_partial("91", "0", "n2", start, 0, 2));
  ASSERT_TRUE(eventually([&] { return !daemon.find("RecordMissing", "resolved").is_null(); }));
}

}  // namespace
}  // namespace hpcmon::alerts::test
