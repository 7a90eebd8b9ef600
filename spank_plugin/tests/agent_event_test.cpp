// Event lines and their delivery over a real Unix socket.
#include "agent_event.hpp"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cstring>
#include <string>
#include <thread>

using namespace hpcmon::spank;

namespace {

std::int64_t now_ms() {
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

// A listening socket in a fresh directory.
struct Listener {
  std::string dir, path;
  int fd = -1;
  explicit Listener(int backlog) {
    char tmpl[] = "/tmp/spank_agent.XXXXXX";
    dir = mkdtemp(tmpl);
    path = dir + "/agent.sock";
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    sockaddr_un a{};
    a.sun_family = AF_UNIX;
    std::strcpy(a.sun_path, path.c_str());
    EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
    EXPECT_EQ(listen(fd, backlog), 0);
  }
  ~Listener() {
    close(fd);
    unlink(path.c_str());
    rmdir(dir.c_str());
  }
  std::string accept_all() {
    int c = accept(fd, nullptr, nullptr);
    std::string got;
    char buf[4096];
    for (ssize_t n; (n = read(c, buf, sizeof buf)) > 0;) got.append(buf, static_cast<std::size_t>(n));
    close(c);
    return got;
  }
};

}  // namespace

TEST(AgentEvent, JsonStringEscapesEverythingUsersControl) {
  EXPECT_EQ(json_string("plain"), "\"plain\"");
  EXPECT_EQ(json_string("a\"b\\c"), "\"a\\\"b\\\\c\"");
  EXPECT_EQ(json_string("l1\nl2\t\x01"), "\"l1\\u000al2\\u0009\\u0001\"");
  EXPECT_EQ(json_string("caf\xc3\xa9"), "\"caf\xc3\xa9\"");
  EXPECT_EQ(json_string("bad\xff\xc3"), "\"bad\xef\xbf\xbd\xef\xbf\xbd\"");
  EXPECT_EQ(json_string("\xed\xa0\x80"), "\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\"");  // surrogate
}

TEST(AgentEvent, LineHasVersionEventAndStepIdentity) {
  EventLine line("task_exit", 12, "batch");
  line.add("task", std::int64_t(0)).add("pid", std::int64_t(4242)).add("status", std::int64_t(768));
  EXPECT_EQ(line.text(),
            "{\"v\":1,\"event\":\"task_exit\",\"job_id\":12,\"step\":\"batch\",\"task\":0,\"pid\":4242,\"status\":768}\n");
  EventLine start("step_start", 7, "0");
  start.add("argv", std::vector<std::string>{"./a.out", "x y"}).add("monitor", "on");
  EXPECT_EQ(start.text(),
            "{\"v\":1,\"event\":\"step_start\",\"job_id\":7,\"step\":\"0\",\"argv\":[\"./a.out\",\"x y\"],"
            "\"monitor\":\"on\"}\n");
}

TEST(AgentEvent, DeliversOneLineThenCloses) {
  Listener agent(4);
  std::string got;
  std::thread reader([&] { got = agent.accept_all(); });
  std::string why;
  const std::string line = EventLine("step_end", 5, "3").add("exit_status", std::int64_t(1)).text();
  EXPECT_TRUE(send_event(agent.path, line, kAgentTimeoutMs, &why)) << why;
  reader.join();
  EXPECT_EQ(got, line);
}

TEST(AgentEvent, AbsentAgentFailsWithTheReason) {
  std::string why;
  EXPECT_FALSE(send_event("/nonexistent/agent.sock", "{}\n", kAgentTimeoutMs, &why));
  EXPECT_NE(why.find("No such file"), std::string::npos) << why;
}

constexpr std::int64_t kSchedulingMarginMs = 1000;

TEST(AgentEvent, StuckAgentCostsAtMostTheTimeout) {
  Listener agent(0);  // never accepts: the backlog fills
  std::string why;
  int delivered = 0;
  const std::int64_t t0 = now_ms();
  for (int i = 0; i < 4; ++i) {
    const std::int64_t s = now_ms();
    if (send_event(agent.path, "{}\n", kAgentTimeoutMs, &why)) ++delivered;
    // Bounded, not fast: without the timeout this call blocks for as long as the agent is
    // stuck. The margin absorbs a loaded machine; speed itself is measured in bench/spank.sh.
    EXPECT_LT(now_ms() - s, kAgentTimeoutMs + kSchedulingMarginMs);
  }
  EXPECT_LT(delivered, 4);  // at least one found the backlog full
  EXPECT_NE(why.find("timed out"), std::string::npos) << why;
  EXPECT_LT(now_ms() - t0, 4 * (kAgentTimeoutMs + kSchedulingMarginMs));
}
