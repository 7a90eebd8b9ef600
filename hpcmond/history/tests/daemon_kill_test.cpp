// The shipped hpcmond (head mode) killed with SIGKILL while an agent pushes through the real
// HTTP endpoint: after a restart on the same folder, every push answered 2xx is returned by
// the history API. And a store over history.max_disk_bytes refuses pushes with 503, counted
// in /api/v1/health and /metrics.
#include <gtest/gtest.h>

#include <signal.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>

#include <nlohmann/json.hpp>

#include "hpcmon/test_support/files.hpp"
#include "hpcmon/test_support/http_client.hpp"
#include "hpcmon/test_support/shipped_head.hpp"

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

using hpcmon::test_support::HttpClient;
using hpcmon::test_support::now_ns;
using hpcmon::test_support::Reply;

constexpr std::int64_t kBase = 1795814400LL * 1000000000LL;  // samples in the past: not expired (7 d raw)

// One agent push: two node readings and one step reading, times derived from seq.
std::string push_body(std::uint64_t seq, std::int64_t base) {
  json node = json::array();
  for (int k = 0; k < 2; ++k) {
    const std::int64_t t = base + static_cast<std::int64_t>(seq * 2 + k) * 500000000LL;
    node.push_back({{"t_ns", t}, {"load1", double(seq * 2 + k)}, {"cpu_util", 0.5},
                    {"core_util", {{"cpu0", 0.25}, {"cpu1", 0.75}}}, {"mem_used_bytes", 1e9}});
  }
  json steps = json::array({{{"cluster", "testcl"}, {"job", "12"}, {"step", "0"},
                             {"t_ns", base + static_cast<std::int64_t>(seq) * 1000000000LL},
                             {"cpu_s", double(seq)}, {"rss_bytes", 1048576.0}, {"processes", 2}}});
  return json{{"v", 1}, {"kind", "samples"}, {"seq", seq},
              {"agent", {{"node", "node07"}, {"instance", "00000000000000aa"}, {"hostname", "node07"}}},
              {"sent_ns", now_ns()}, {"samples", {{"node", node}, {"steps", steps}}}}
      .dump();
}

class Head : public ::testing::Test {
 protected:
  void TearDown() override { head_.sigterm(); }
  void write_config(const std::string& extra_history = "") {
    hpcmon::test_support::HeadSettings settings;
    settings.node_sample_interval_s = 0.5;
    settings.record_scan_interval_s = 10;
    settings.history = extra_history;
    head_.write_config(settings);
  }
  void start() { ASSERT_TRUE(head_.start()) << "hpcmond did not answer; its log:\n" << head_.log(); }
  std::string push_url() const { return head_.agent_url("/api/v1/agent/push"); }
  json data(const std::string& path) {
    const Reply reply = hpcmon::test_support::http(head_.url(path));
    EXPECT_EQ(reply.status, 200) << path << ": " << reply.body;
    return reply.json()["data"];
  }

  hpcmon::test_support::TempDir dir_{"history-daemon"};
  hpcmon::test_support::ShippedHead head_{HPCMOND_PATH, dir_.path()};
  const std::string token_ = hpcmon::test_support::ShippedHead::agent_token;
};

std::size_t points_of(const json& answer, const std::string& metric) {
  std::size_t n = 0;
  for (const auto& series : answer["series"])
    if (series["metric"] == metric) n += series["points"].size();
  return n;
}

TEST_F(Head, EveryPushAnsweredBeforeSigkillIsReturnedAfterRestart) {
  write_config();
  start();
  std::uint64_t acknowledged = 0;
  for (int round = 0; round < 2; ++round) {
    // An agent pushes as fast as it can; the daemon is killed in the middle of it.
    std::atomic<bool> stop_pushing{false};
    std::thread agent([&] {
      HttpClient client;
      while (!stop_pushing) {
        const Reply reply = client.post_json(push_url(), push_body(acknowledged + 1, kBase), token_);
        if (reply.status != 200) break;  // the daemon is gone
        ++acknowledged;
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    head_.sigkill();
    stop_pushing = true;
    agent.join();
    ASSERT_GT(acknowledged, 5u) << head_.log();
    start();
    const json health = data("/api/v1/health");
    EXPECT_TRUE(health["history"]["enabled"].get<bool>());
    EXPECT_GT(health["history"]["replayed_samples"].get<std::uint64_t>(), 0u);
    const std::string range = "start=" + std::to_string(kBase / 1000000000 - 1) +
                              "&end=" + std::to_string(kBase / 1000000000 + 100000);
    // Node series of the pushing node, by its own endpoint; every acknowledged reading.
    const json load = data("/api/v1/nodes/node07/history?metric=node.load1&" + range);
    ASSERT_EQ(load["series"].size(), 1u);
    const json& points = load["series"][0]["points"];
    ASSERT_GE(points.size(), 2 * acknowledged) << "round " << round;
    for (std::size_t i = 0; i < 2 * acknowledged; ++i) {
      EXPECT_DOUBLE_EQ(points[i][0].get<double>(), double(kBase / 1000000000) + 0.5 * double(i + 2));
      EXPECT_EQ(points[i][1].get<double>(), double(i + 2));
    }
    EXPECT_GE(points_of(data("/api/v1/nodes/node07/history?metric=node.core_util&" + range), "node.core_util"),
              4 * acknowledged);
    // Step series by job selector.
    const json step = data("/api/v1/metrics/history?job=12.0&metric=step.cpu_s&" + range);
    ASSERT_EQ(step["series"].size(), 1u);
    EXPECT_EQ(step["series"][0]["labels"]["node"], "node07");
    EXPECT_GE(step["series"][0]["points"].size(), acknowledged);
    // A step of one minute aggregates: 120 node readings per minute.
    const json stepped = data("/api/v1/nodes/node07/history?metric=node.load1&step=60&" + range);
    std::uint64_t counted = 0;
    for (const auto& p : stepped["series"][0]["points"]) counted += p[4].get<std::uint64_t>();
    EXPECT_GE(counted, 2 * acknowledged);
  }
  EXPECT_NE(head_.log().find("head daemon listening"), std::string::npos);
}

TEST_F(Head, PushesPastMaxDiskBytesAreRefusedWith503AndCounted) {
  write_config("  max_disk_bytes: 16384\n  wal_sync: none\n");
  start();
  HttpClient client;
  int refused = 0;
  for (std::uint64_t seq = 1; seq < 2000 && refused == 0; ++seq) {
    const Reply reply = client.post_json(push_url(), push_body(seq, kBase), token_);
    if (reply.status == 503) ++refused;
    else ASSERT_EQ(reply.status, 200) << reply.body;
  }
  ASSERT_EQ(refused, 1);
  const json health = data("/api/v1/health");
  EXPECT_GE(health["history"]["writes_refused"].get<std::uint64_t>(), 1u);
  EXPECT_TRUE(health["history"]["disk_full"].get<bool>());
  EXPECT_NE(health["history"]["last_error"].get<std::string>().find("max_disk_bytes"), std::string::npos);
  const Reply metrics = client.request(head_.url("/metrics"));
  ASSERT_EQ(metrics.status, 200);
  const auto at = metrics.body.find("\nhpcmon_history_writes_refused_total{");
  ASSERT_NE(at, std::string::npos);
  EXPECT_GE(std::stod(metrics.body.substr(metrics.body.find("} ", at) + 2)), 1.0);
  const auto full = metrics.body.find("\nhpcmon_history_disk_full{");
  ASSERT_NE(full, std::string::npos);
  EXPECT_EQ(metrics.body.substr(metrics.body.find("} ", full) + 2, 2), "1\n");
  EXPECT_NE(head_.log().find("history: writes refused"), std::string::npos);
}

// history.record_retention_days: the head deletes record files older than the limit at start
// (then hourly); newer files, other files and symlinks stay.
TEST_F(Head, RecordsOlderThanTheRetentionAreDeleted) {
  write_config("  record_retention_days: 30\n");
  const fs::path day = head_.records() / "alice" / "2026" / "09" / "01";
  fs::create_directories(day);
  const fs::path old_record = day / "testcl.12.0.r0.0.h5", old_partial = day / "testcl.12.0.r0.0.node07.part.h5";
  const fs::path new_record = day / "testcl.13.0.r0.0.h5", old_other = day / "notes.txt";
  for (const auto& path : {old_record, old_partial, new_record, old_other}) std::ofstream(path) << "x";
  fs::create_symlink(old_record, day / "link.h5");
  const auto long_ago = fs::file_time_type::clock::now() - std::chrono::hours(24 * 40);
  for (const auto& path : {old_record, old_partial, old_other}) fs::last_write_time(path, long_ago);
  start();
  for (int i = 0; i < 100 && fs::exists(old_record); ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(fs::exists(old_record));
  EXPECT_FALSE(fs::exists(old_partial));
  EXPECT_TRUE(fs::exists(new_record));
  EXPECT_TRUE(fs::exists(old_other));
  EXPECT_TRUE(fs::is_symlink(day / "link.h5"));
  EXPECT_NE(head_.log().find("deleted 2 job record files older than"), std::string::npos) << head_.log();
}

}  // namespace
