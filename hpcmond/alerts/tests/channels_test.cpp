// Deliveries received by real receivers: a webhook (Python http.server, failing first to
// exercise retries), the real prometheus-alertmanager (v2 API) and an aiosmtpd SMTP
// server; a webhook that never answers delays neither evaluation nor the other channels.
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <thread>

#include "daemon.hpp"

namespace hpcmon::alerts::test {
namespace {

const std::string kRule =
    "  evaluation_interval_s: 0.1\n"
    "  disabled_builtins: [NodeDown, NodeCpuHigh, NodeMemoryHigh, NodeDiskFull, JobIdle, "
    "JobMemoryNearLimit, RecordMissing]\n"
    "  webhook_backoff_s: 0.1\n"
    "  rules:\n"
    "    - {name: HighLoad, metric: node.load1, match: {node: n7}, op: \">\", threshold: 5, severity: critical,\n"
    "       description: \"load {{ $value }} on {{ $labels.node }}\"}\n";

json load(double value) { return json::array({{{"t_ns", now_ns()}, {"load1", value}}}); }

// Fires HighLoad on n7, then resolves it (one more resolved alert in the history).
void fire_and_resolve(Daemon& daemon) {
  const int resolved = daemon.alerts("?state=resolved")["total"];
  ASSERT_TRUE(eventually([&] {
    daemon.push("n7", load(9));
    return !daemon.find("HighLoad", "firing").is_null();
  }));
  ASSERT_TRUE(eventually([&] {
    daemon.push("n7", load(1));
    return daemon.alerts("?state=resolved")["total"] == resolved + 1;
  }));
}

bool port_open(std::uint16_t port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(port);
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) == 0;
  ::close(fd);
  return ok;
}

std::vector<json> lines_of(const fs::path& path) {
  std::vector<json> out;
  std::istringstream text(read_text(path));
  for (std::string line; std::getline(text, line);) out.push_back(json::parse(line, nullptr, false));
  return out;
}

json channel(const Daemon& daemon, const std::string& name) {
  const json health = http(daemon.url("/api/v1/health")).data();
  for (const auto& stats : health["alerts"]["channels"])
    if (stats["name"] == name) return stats;
  return json();
}

TEST(Channels, WebhookReceivesFiringAndResolvedAfterRetries) {
  TempDir dir;
  const std::uint16_t port = free_port();
  const fs::path received = dir.path() / "webhook.jsonl";
  // Two 500 answers first: the firing notification needs two retries.
  ChildProcess receiver({HPCMON_PYTHON, HPCMON_ALERTS_TEST_DIR "/webhook_receiver.py", std::to_string(port),
                         received.string(), "2"});
  ASSERT_TRUE(eventually([&] { return port_open(port); }));
  Daemon daemon(dir.path(), kRule + "  webhook_url: http://127.0.0.1:" + std::to_string(port) + "/hook\n");
  fire_and_resolve(daemon);
  ASSERT_TRUE(eventually([&] { return lines_of(received).size() >= 2; })) << daemon.log();
  const auto bodies = lines_of(received);
  ASSERT_EQ(bodies.size(), 2u);
  EXPECT_EQ(bodies[0]["status"], "firing");
  EXPECT_EQ(bodies[0]["alert"]["alertname"], "HighLoad");
  EXPECT_EQ(bodies[0]["alert"]["labels"]["node"], "n7");
  EXPECT_EQ(bodies[0]["alert"]["description"], "load 9 on n7");
  EXPECT_EQ(bodies[1]["status"], "resolved");
  EXPECT_EQ(bodies[1]["alert"]["id"], bodies[0]["alert"]["id"]);
  const json stats = channel(daemon, "webhook");
  EXPECT_EQ(stats["delivered"], 2);
  EXPECT_EQ(stats["retries"], 2);
  EXPECT_EQ(stats["failed"], 0);
}

TEST(Channels, DeadWebhookDelaysNeitherEvaluationNorTheLog) {
  TempDir dir;
  // A listener that never accepts: connections hang until the delivery timeout.
  const int listener = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(::bind(listener, reinterpret_cast<sockaddr*>(&address), sizeof address), 0);
  ::listen(listener, 64);
  socklen_t length = sizeof address;
  ::getsockname(listener, reinterpret_cast<sockaddr*>(&address), &length);
  Daemon daemon(dir.path(), kRule + "  webhook_url: http://127.0.0.1:" + std::to_string(ntohs(address.sin_port)) +
                                "/hook\n  webhook_timeout_s: 30\n  webhook_max_retries: 10\n");
  const auto begin = std::chrono::steady_clock::now();
  for (int round = 0; round < 3; ++round) fire_and_resolve(daemon);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
  // Six transitions at 0.1 s evaluations while the webhook hangs for 30 s on the first one.
  EXPECT_LT(seconds, 10.0);
  EXPECT_EQ(daemon.alerts("?state=resolved")["total"], 3);
  ASSERT_TRUE(eventually([&] { return channel(daemon, "log")["delivered"] == 6; }, 5));
  const json webhook = channel(daemon, "webhook");
  EXPECT_EQ(webhook["delivered"], 0);
  EXPECT_EQ(webhook["queued"], 5);  // the sixth is in delivery
  // Stopping does not wait for the hanging delivery's 30 s timeout.
  const auto stop = std::chrono::steady_clock::now();
  daemon.sigterm();
  EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - stop).count(), 5.0);
  ::close(listener);
}

TEST(Channels, AlertmanagerV2ReceivesTheAlertAndItsEnd) {
  TempDir dir;
  const std::uint16_t port = free_port();
  write_text(dir.path() / "alertmanager.yml", "route:\n  receiver: none\nreceivers:\n  - name: none\n");
  ChildProcess alertmanager({"/usr/bin/prometheus-alertmanager", "--config.file=" + (dir.path() / "alertmanager.yml").string(),
                             "--storage.path=" + (dir.path() / "am-data").string(),
                             "--web.listen-address=127.0.0.1:" + std::to_string(port), "--cluster.listen-address="},
                            dir.path() / "alertmanager.log");
  const std::string am = "http://127.0.0.1:" + std::to_string(port);
  ASSERT_TRUE(eventually([&] { return http(am + "/-/ready").status == 200; }, 20))
      << read_text(dir.path() / "alertmanager.log");
  Daemon daemon(dir.path(), kRule + "  alertmanager_url: " + am + "\n");
  ASSERT_TRUE(eventually([&] {
    daemon.push("n7", load(9));
    return !daemon.find("HighLoad", "firing").is_null();
  }));
  json received;
  ASSERT_TRUE(eventually([&] {
    const json list = json::parse(http(am + "/api/v2/alerts").body, nullptr, false);
    for (const auto& alert : list)
      if (alert["labels"].value("alertname", "") == "HighLoad") received = alert;
    return !received.is_null();
  })) << daemon.log();
  EXPECT_EQ(received["labels"]["node"], "n7");
  EXPECT_EQ(received["labels"]["severity"], "critical");
  EXPECT_FALSE(received["labels"].value("cluster", "").empty());
  EXPECT_EQ(received["annotations"]["description"], "load 9 on n7");
  EXPECT_EQ(received["status"]["state"], "active");
  ASSERT_TRUE(eventually([&] {
    daemon.push("n7", load(1));
    return !daemon.find("HighLoad", "resolved").is_null();
  }));
  // Resolved: Alertmanager no longer lists it among the active alerts.
  EXPECT_TRUE(eventually([&] {
    const json list = json::parse(http(am + "/api/v2/alerts?active=true").body, nullptr, false);
    for (const auto& alert : list)
      if (alert["labels"].value("alertname", "") == "HighLoad") return false;
    return list.is_array();
  }));
}

TEST(Channels, SmtpMailReachesTheReceiver) {
  TempDir dir;
  const std::uint16_t port = free_port();
  const fs::path maildir = dir.path() / "maildir";
  ChildProcess smtpd({HPCMON_PYTHON, "-m", "aiosmtpd", "-n", "-l", "127.0.0.1:" + std::to_string(port), "-c",
                      "aiosmtpd.handlers.Mailbox", maildir.string()},
                     dir.path() / "smtpd.log");
  ASSERT_TRUE(eventually([&] { return port_open(port); }, 10)) << read_text(dir.path() / "smtpd.log");
  Daemon daemon(dir.path(), kRule + "  smtp_host: 127.0.0.1\n  smtp_port: " + std::to_string(port) +
                                "\n  smtp_from: hpcmon@head.example\n  smtp_to: [ops@example.org]\n");
  fire_and_resolve(daemon);
  std::vector<std::string> mails;
  ASSERT_TRUE(eventually([&] {
    mails.clear();
    if (fs::exists(maildir / "new"))
      for (const auto& entry : fs::directory_iterator(maildir / "new")) mails.push_back(read_text(entry.path()));
    return mails.size() >= 2;
  })) << daemon.log();
  ASSERT_EQ(mails.size(), 2u);
  std::sort(mails.begin(), mails.end(), [](const std::string& a, const std::string& b) {
    return a.find("FIRING") != std::string::npos && b.find("FIRING") == std::string::npos;
  });
  EXPECT_NE(mails[0].find("Subject: [hpcmon] FIRING HighLoad (critical) node=n7"), std::string::npos) << mails[0];
  EXPECT_NE(mails[0].find("To: ops@example.org"), std::string::npos);
  EXPECT_NE(mails[0].find("From: hpcmon@head.example"), std::string::npos);
  EXPECT_NE(mails[0].find("load 9 on n7"), std::string::npos);
  EXPECT_NE(mails[1].find("Subject: [hpcmon] RESOLVED HighLoad (critical) node=n7"), std::string::npos) << mails[1];
  EXPECT_EQ(channel(daemon, "smtp")["delivered"], 2);
}

}  // namespace
}  // namespace hpcmon::alerts::test
