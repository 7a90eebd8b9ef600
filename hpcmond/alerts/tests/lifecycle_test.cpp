// The alert lifecycle on the shipped hpcmond: a rule on a metric the test pushes as a node
// agent (node.load1) goes pending, firing after its `for`, resolved; acknowledgements; a
// re-fired alert starts unacknowledged; SIGKILL and restart keep states and acknowledgements.
#include <gtest/gtest.h>

#include "daemon.hpp"

namespace hpcmon::alerts::test {
namespace {

// HighLoad: node.load1 > 5 held for 1 s. Built-ins off: only the rule under test fires.
const std::string kRule =
    "  evaluation_interval_s: 0.1\n"
    "  disabled_builtins: [NodeDown, NodeCpuHigh, NodeMemoryHigh, NodeDiskFull, JobIdle, "
    "JobMemoryNearLimit, RecordMissing]\n"
    "  rules:\n"
    "    - name: HighLoad\n"
    "      metric: node.load1\n"
    "      match: {node: n7}\n"
    "      op: \">\"\n"
    "      threshold: 5\n"
    "      for: 1s\n"
    "      severity: critical\n"
    "      labels: {team: hpc}\n"
    "      description: \"load {{ $value }} on {{ $labels.node }}\"\n";

json load(double value) { return json::array({{{"t_ns", now_ns()}, {"load1", value}}}); }

// Pushes load1 = value every 100 ms until `check` holds (or 10 s).
template <class Check>
bool push_until(Daemon& daemon, double value, Check check, double seconds = 10) {
  return eventually(
      [&] {
        daemon.push("n7", load(value));
        return check();
      },
      seconds);
}

json fire(Daemon& daemon) {
  json firing;
  push_until(daemon, 9, [&] { return !(firing = daemon.find("HighLoad", "firing")).is_null(); });
  return firing;
}

TEST(Lifecycle, PendingThenFiringAfterForThenResolved) {
  TempDir dir;
  Daemon daemon(dir.path(), kRule);
  json pending;
  ASSERT_TRUE(push_until(daemon, 9, [&] { return !(pending = daemon.find("HighLoad", "pending")).is_null(); }));
  EXPECT_EQ(pending["labels"]["node"], "n7");
  EXPECT_EQ(pending["labels"]["team"], "hpc");
  EXPECT_EQ(pending["labels"]["severity"], "critical");
  EXPECT_EQ(pending["fired_at"], nullptr);
  EXPECT_EQ(pending["value"], 9.0);

  const json firing = fire(daemon);
  ASSERT_FALSE(firing.is_null());
  EXPECT_EQ(firing["id"], pending["id"]);
  EXPECT_EQ(firing["description"], "load 9 on n7");
  EXPECT_GE(firing["fired_ns"].get<std::int64_t>() - firing["active_since_ns"].get<std::int64_t>(), 1000000000);
  EXPECT_EQ(firing["acknowledged"], false);
  EXPECT_EQ(daemon.alerts()["firing"], 1);

  json resolved;
  ASSERT_TRUE(push_until(daemon, 1, [&] { return !(resolved = daemon.find("HighLoad", "resolved")).is_null(); }));
  EXPECT_EQ(resolved["id"], firing["id"]);
  EXPECT_EQ(resolved["value"], 1.0);
  EXPECT_GE(resolved["resolved_ns"].get<std::int64_t>(), resolved["fired_ns"].get<std::int64_t>());
  EXPECT_TRUE(daemon.find("HighLoad", "firing").is_null());
  EXPECT_EQ(daemon.alerts()["firing"], 0);
}

TEST(Lifecycle, PendingThatDropsBelowNeverFires) {
  TempDir dir;
  Daemon daemon(dir.path(), kRule);
  ASSERT_TRUE(push_until(daemon, 9, [&] { return !daemon.find("HighLoad", "pending").is_null(); }));
  ASSERT_TRUE(push_until(daemon, 1, [&] { return daemon.find("HighLoad", "pending").is_null(); }));
  EXPECT_TRUE(daemon.find("HighLoad", "firing").is_null());
  EXPECT_TRUE(daemon.find("HighLoad", "resolved").is_null());  // pending leaves no history
}

TEST(Lifecycle, AcknowledgedAlertThatResolvesAndFiresAgainStartsUnacknowledged) {
  TempDir dir;
  Daemon daemon(dir.path(), kRule);
  const json firing = fire(daemon);
  ASSERT_FALSE(firing.is_null());
  const std::string id = firing["id"];
  // Writes need the human token, whatever the read mode.
  EXPECT_EQ(daemon.acknowledge(id, "x", "").status, 401);
  EXPECT_EQ(daemon.acknowledge(id, "x", Daemon::agent_token).status, 403);
  EXPECT_EQ(daemon.acknowledge("0000000000000000", "x").status, 404);
  const Reply ack = daemon.acknowledge(id, "looking at it");
  ASSERT_EQ(ack.status, 200) << ack.body;
  const json acknowledged = daemon.find("HighLoad", "firing");
  EXPECT_EQ(acknowledged["acknowledged"], true);
  EXPECT_EQ(acknowledged["acknowledgement"]["by"], "api-token");
  EXPECT_EQ(acknowledged["acknowledgement"]["comment"], "looking at it");
  EXPECT_GE(acknowledged["acknowledgement"]["at_ns"].get<std::int64_t>(), firing["fired_ns"].get<std::int64_t>());
  EXPECT_EQ(daemon.alerts("?acknowledged=true")["total"], 1);

  ASSERT_TRUE(push_until(daemon, 1, [&] { return !daemon.find("HighLoad", "resolved").is_null(); }));
  const json history = daemon.find("HighLoad", "resolved");
  EXPECT_EQ(history["acknowledgement"]["comment"], "looking at it");  // history keeps who acked

  const json again = fire(daemon);
  ASSERT_FALSE(again.is_null());
  EXPECT_EQ(again["id"], id);
  EXPECT_EQ(again["acknowledged"], false);
  EXPECT_FALSE(again.contains("acknowledgement"));
  EXPECT_GT(again["fired_ns"].get<std::int64_t>(), history["resolved_ns"].get<std::int64_t>());
}

TEST(Lifecycle, SigkillAndRestartKeepStatesAndAcknowledgements) {
  TempDir dir;
  auto daemon = std::make_unique<Daemon>(dir.path(), kRule);
  // One resolved alert in the history, then one firing and acknowledged.
  ASSERT_FALSE(fire(*daemon).is_null());
  ASSERT_TRUE(push_until(*daemon, 1, [&] { return !daemon->find("HighLoad", "resolved").is_null(); }));
  const json firing = fire(*daemon);
  ASSERT_FALSE(firing.is_null());
  ASSERT_EQ(daemon->acknowledge(firing["id"], "disk swap tonight").status, 200);

  daemon->sigkill();
  daemon->start();  // the same configuration, ports and state file
  const json restored = daemon->find("HighLoad", "firing");
  ASSERT_FALSE(restored.is_null()) << daemon->log();
  EXPECT_EQ(restored["id"], firing["id"]);
  EXPECT_EQ(restored["fired_ns"], firing["fired_ns"]);
  EXPECT_EQ(restored["acknowledged"], true);
  EXPECT_EQ(restored["acknowledgement"]["comment"], "disk swap tonight");
  EXPECT_EQ(daemon->alerts("?state=resolved")["total"], 1);
  // The agent pushes again: the same alert goes on firing, still acknowledged (no re-fire).
  for (int i = 0; i < 10; ++i) {
    daemon->push("n7", load(9));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  const json later = daemon->find("HighLoad", "firing");
  EXPECT_EQ(later["fired_ns"], firing["fired_ns"]);
  EXPECT_EQ(later["acknowledged"], true);
  EXPECT_NE(daemon->log().find("1 active alerts restored"), std::string::npos) << daemon->log();
}

TEST(Lifecycle, FiltersAndMetricsExposition) {
  TempDir dir;
  Daemon daemon(dir.path(), kRule);
  ASSERT_FALSE(fire(daemon).is_null());
  EXPECT_EQ(daemon.alerts("?severity=critical&node=n7")["total"], 1);
  EXPECT_EQ(daemon.alerts("?severity=warning")["total"], 0);
  EXPECT_EQ(daemon.alerts("?node=n8")["total"], 0);
  EXPECT_EQ(http(daemon.url("/api/v1/alerts?state=burning")).status, 400);
  const std::string metrics = http(daemon.url("/metrics")).body;
  EXPECT_NE(metrics.find("alertname=\"HighLoad\",severity=\"critical\",state=\"firing\"} 1"),
            std::string::npos)
      << metrics;
  const json health = http(daemon.url("/api/v1/health")).data();
  EXPECT_EQ(health["alerts"]["firing"], 1);
  EXPECT_EQ(http(daemon.url("/api/v1/metrics/hpc")).data()["alerts"]["firing"], 1);
}

}  // namespace
}  // namespace hpcmon::alerts::test
