// Rules reloaded without a restart, on the shipped hpcmond: SIGHUP and POST
// /api/v1/alerts/reload (human token) re-read the alerting section; an alert whose rule stays
// keeps its state, fired_at and acknowledgement; an alert whose rule is gone is resolved; a
// configuration error keeps the running rules and is logged with file, line and key.
#include <gtest/gtest.h>

#include <regex>

#include "daemon.hpp"
#include "hpcmon/alerting_config.hpp"

namespace hpcmon::alerts::test {
namespace {

// Every built-in off: only the test's rules count.
const std::string kBuiltinsOff = [] {
  std::string names;
  for (auto name : config::builtin_alert_names()) names += (names.empty() ? "" : ", ") + std::string(name);
  return "  evaluation_interval_s: 0.1\n  disabled_builtins: [" + names + "]\n  rules:\n";
}();

std::string rule(const std::string& name, const std::string& threshold, const std::string& severity) {
  return "    - name: " + name + "\n      metric: node.load1\n      match: {node: n9}\n      threshold: " + threshold +
         "\n      severity: " + severity + "\n      description: \"load {{ $value }}\"\n";
}

json load(double value) { return json::array({{{"t_ns", now_ns()}, {"load1", value}}}); }

// Pushes load1 = 9 as node n9 (the rules match it only, not the head's own load) until `name`
// fires; the firing alert (null after 10 s).
json firing(Daemon& daemon, const std::string& name) {
  json alert;
  eventually([&] {
    daemon.push("n9", load(9));
    return !(alert = daemon.find(name, "firing")).is_null();
  });
  return alert;
}

TEST(Reload, SighupAndApiSwapRulesKeepingTheStateOfRulesThatStay) {
  TempDir dir;
  Daemon daemon(dir.path(), kBuiltinsOff + rule("HighLoad", "5", "critical") + rule("Busy", "1", "warning"));
  const json high = firing(daemon, "HighLoad");
  ASSERT_FALSE(high.is_null());
  ASSERT_FALSE(firing(daemon, "Busy").is_null());
  ASSERT_EQ(daemon.acknowledge(high["id"], "looking").status, 200);

  // HighLoad stays (another threshold), Busy goes, VeryHighLoad comes.
  daemon.write_config(kBuiltinsOff + rule("HighLoad", "4", "critical") + rule("VeryHighLoad", "8", "critical"));
  daemon.signal(SIGHUP);
  const std::regex loaded(R"(alerting: (\d+) rules loaded)");
  ASSERT_TRUE(eventually([&] { return std::regex_search(daemon.log(), loaded); })) << daemon.log();
  ASSERT_FALSE(firing(daemon, "VeryHighLoad").is_null());
  const json kept = daemon.find("HighLoad", "firing");
  ASSERT_FALSE(kept.is_null());
  EXPECT_EQ(kept["id"], high["id"]);
  EXPECT_EQ(kept["fired_ns"], high["fired_ns"]);
  EXPECT_EQ(kept["acknowledged"], true);
  EXPECT_EQ(kept["acknowledgement"]["comment"], "looking");
  EXPECT_TRUE(daemon.find("Busy", "firing").is_null());
  EXPECT_FALSE(daemon.find("Busy", "resolved").is_null());
  EXPECT_EQ(daemon.alerts("?state=firing")["total"], 2);

  // A bad file through the API: refused with file, line and key; the rules stay.
  daemon.write_config(kBuiltinsOff + rule("HighLoad", "high", "critical"));
  const Reply refused = post_json(daemon.url("/api/v1/alerts/reload"), "{}", Daemon::human_token);
  EXPECT_EQ(refused.status, 500) << refused.body;
  const std::regex where(std::regex_replace(daemon.config_file().string(), std::regex(R"([.^$|()\[\]{}*+?\\])"),
                                            R"(\$&)") +
                         R"(:\d+:\d+: alerting\.rules\[0\]\.threshold: )");
  EXPECT_TRUE(std::regex_search(refused.body, where)) << refused.body;
  EXPECT_TRUE(eventually([&] {
    const std::string log = daemon.log();
    return log.find("alerting: reload refused, rules kept: ") != std::string::npos && std::regex_search(log, where);
  })) << daemon.log();
  daemon.push("n9", load(9));
  EXPECT_FALSE(daemon.find("VeryHighLoad", "firing").is_null());
  EXPECT_EQ(daemon.find("HighLoad", "firing")["id"], high["id"]);

  // The same bad file on SIGHUP: the whole reload is refused, the daemon keeps serving.
  daemon.signal(SIGHUP);
  EXPECT_TRUE(eventually([&] { return daemon.log().find("reload refused, running configuration kept") != std::string::npos; }));
  EXPECT_EQ(http(daemon.url("/api/v1/health")).status, 200);

  // Only the human token reloads.
  daemon.write_config(kBuiltinsOff + rule("HighLoad", "5", "critical"));
  EXPECT_EQ(post_json(daemon.url("/api/v1/alerts/reload"), "{}").status, 401);
  EXPECT_EQ(post_json(daemon.url("/api/v1/alerts/reload"), "{}", Daemon::agent_token).status, 403);
  const Reply done = post_json(daemon.url("/api/v1/alerts/reload"), "{}", Daemon::human_token);
  ASSERT_EQ(done.status, 200) << done.body;
  // One rule fewer than after the SIGHUP (built-ins that cannot be disabled count in both).
  const std::string log = daemon.log();
  std::smatch first;
  ASSERT_TRUE(std::regex_search(log, first, loaded));
  EXPECT_EQ(done.data()["rules"].get<int>() + 1, std::stoi(first[1].str()));
  EXPECT_TRUE(daemon.find("VeryHighLoad", "firing").is_null());
  EXPECT_FALSE(daemon.find("VeryHighLoad", "resolved").is_null());
  EXPECT_EQ(daemon.find("HighLoad", "firing")["id"], high["id"]);
}

}  // namespace
}  // namespace hpcmon::alerts::test
