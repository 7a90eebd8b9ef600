// The reading thread: db_up 0 and one log line when the server is away, recovery when it is
// back (a socat relay stands for the server coming and going), never blocked past its timeouts.
#include <gtest/gtest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>

#include "hpcmon/dbhealth/db_monitor.hpp"
#include "test_db.hpp"

namespace hpcmon::dbhealth {
namespace {

struct Lines {
  std::mutex mutex;
  std::vector<std::string> lines;
  DbMonitor::LogLine sink() {
    return [this](const std::string& line) {
      std::lock_guard lock(mutex);
      lines.push_back(line);
    };
  }
  std::vector<std::string> copy() {
    std::lock_guard lock(mutex);
    return lines;
  }
};

std::unique_ptr<testing::Process> relay(int from_port) {
  return std::make_unique<testing::Process>(std::vector<std::string>{
      "socat", "TCP-LISTEN:" + std::to_string(from_port) + ",bind=127.0.0.1,reuseaddr,fork",
      "TCP:127.0.0.1:" + testing::accounting_env().at("HPCMON_MARIADB_PORT")});
}

TEST(Monitor, UnreachableThenBackThenGoneAgain) {
  Endpoint endpoint = testing::monitor_endpoint();
  endpoint.port = testing::free_port();
  Lines log;
  DbMonitor monitor(endpoint, {.interval_s = 3600, .read = {"slurm_acct_db", 5}, .history_points = 100}, log.sink());
  for (int i = 0; i < 3; ++i) {
    const DbStatus down = monitor.collect_once();
    EXPECT_FALSE(down.up);
    EXPECT_EQ(down.failure, Failure::unreachable);
  }
  ASSERT_EQ(log.copy().size(), 1u) << "one line for the whole outage";
  EXPECT_NE(log.copy()[0].find("accounting database unreachable: cannot connect to hpcmon@127.0.0.1:"),
            std::string::npos)
      << log.copy()[0];
  EXPECT_EQ(monitor.to_json()["db_up"], 0);

  auto server = relay(endpoint.port);
  ASSERT_TRUE(testing::eventually(20, [&] { return monitor.collect_once().up; }));
  ASSERT_EQ(log.copy().size(), 2u);
  EXPECT_NE(log.copy()[1].find("reachable again"), std::string::npos) << log.copy()[1];
  EXPECT_EQ(monitor.to_json()["db_up"], 1);
  EXPECT_GT(monitor.to_json()["max_connections"].get<int>(), 0);

  server->end();  // the relay and its connection children: the server "goes away"
  const DbStatus gone = monitor.collect_once();
  EXPECT_FALSE(gone.up);
  EXPECT_TRUE(gone.failure == Failure::lost || gone.failure == Failure::unreachable) << gone.error;
  EXPECT_EQ(log.copy().size(), 3u);
  const auto history = monitor.history();
  ASSERT_GE(history.size(), 5u);
  EXPECT_FALSE(history.front().up);
  EXPECT_FALSE(history.back().up);
}

TEST(Monitor, ASilentServerCostsAtMostTheConnectTimeout) {
  // A listener that never answers the handshake.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  ASSERT_EQ(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
  ASSERT_EQ(::listen(fd, 8), 0);
  ASSERT_EQ(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len), 0);
  Endpoint endpoint = testing::monitor_endpoint();
  endpoint.port = ntohs(addr.sin_port);
  endpoint.connect_timeout_s = 1;
  endpoint.read_timeout_s = 1;
  Lines log;
  DbMonitor monitor(endpoint, {.interval_s = 3600, .read = {}, .history_points = 10}, log.sink());
  const auto started = std::chrono::steady_clock::now();
  const DbStatus status = monitor.collect_once();
  const double took = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  ::close(fd);
  EXPECT_FALSE(status.up);
  EXPECT_LT(took, 8.0) << "a silent server held the reading for " << took << " s";
  EXPECT_EQ(log.copy().size(), 1u);
}

TEST(Monitor, ThreadReadsAtTheIntervalAndFeedsTheSink) {
  std::mutex mutex;
  std::vector<DbStatus> seen;
  Lines log;
  DbMonitor monitor(testing::monitor_endpoint(), {.interval_s = 0.2, .read = {"slurm_acct_db", 5}, .history_points = 100}, log.sink(),
                    [&](const DbStatus& s) {
                      std::lock_guard lock(mutex);
                      seen.push_back(s);
                    });
  monitor.start();
  EXPECT_TRUE(testing::eventually(20, [&] {
    std::lock_guard lock(mutex);
    return seen.size() >= 3;
  }));
  monitor.stop();
  std::lock_guard lock(mutex);
  for (const auto& s : seen) EXPECT_TRUE(s.up) << s.error;
  EXPECT_TRUE(log.copy().empty());
  ASSERT_TRUE(monitor.latest());
  EXPECT_TRUE(monitor.latest()->up);
}

}  // namespace
}  // namespace hpcmon::dbhealth
