// The push spool: bounded, oldest live samples dropped first, kept across restarts, and
// replayed in sequence order to a real HTTP receiver (libmicrohttpd) once the head is back.
#include <microhttpd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <mutex>
#include <nlohmann/json.hpp>
#include <fstream>
#include <set>

#include "cgroup_fixture.hpp"
#include "harness.hpp"
#include "hpcmon/agent/spool.hpp"

namespace hpcmon::agent::test {
namespace {

using nlohmann::json;

std::string body_of_size(std::uint64_t seq, std::size_t size) {
  std::string s = R"({"seq":)" + std::to_string(seq) + R"(,"pad":")";
  s += std::string(size > s.size() + 2 ? size - s.size() - 2 : 0, 'x');
  return s + "\"}";
}

std::vector<std::uint64_t> seqs(const Spool& spool) {
  std::vector<std::uint64_t> out;
  for (const auto& e : spool.pending()) out.push_back(e.seq);
  return out;
}

TEST(Spool, BoundedDroppingOldestSamplesFirst) {
  const fs::path dir = make_temp_dir("spool") / "s";
  Spool spool(dir, 4000);
  spool.append("record_ready", [](std::uint64_t seq) { return body_of_size(seq, 1000); });  // seq 1
  for (int i = 0; i < 5; ++i)
    spool.append("samples", [](std::uint64_t seq) { return body_of_size(seq, 1000); });  // seqs 2..6
  EXPECT_LE(spool.bytes(), 4000u);
  EXPECT_EQ(spool.dropped(), 2u);
  // the notice stays, samples 2 and 3 went
  EXPECT_EQ(seqs(spool), (std::vector<std::uint64_t>{1, 4, 5, 6}));
  std::uint64_t on_disk = 0;
  for (const auto& f : fs::directory_iterator(dir))
    if (f.path().extension() == ".json") on_disk += f.file_size();
  EXPECT_EQ(on_disk, spool.bytes());
  fs::remove_all(dir.parent_path());
}

TEST(Spool, SurvivesARestartAndNeverReusesASequenceNumber) {
  const fs::path dir = make_temp_dir("spool") / "s";
  std::string instance;
  {
    Spool spool(dir, 1 << 20);
    instance = spool.instance();
    for (int i = 0; i < 3; ++i) spool.append("samples", [](std::uint64_t seq) { return body_of_size(seq, 100); });
    spool.remove(1);
  }
  {
    Spool again(dir, 1 << 20);
    EXPECT_EQ(again.instance(), instance);
    EXPECT_EQ(seqs(again), (std::vector<std::uint64_t>{2, 3}));
    EXPECT_EQ(*again.read(again.pending()[0]), body_of_size(2, 100));
    again.remove(2);
    again.remove(3);
    EXPECT_EQ(again.append("samples", [](std::uint64_t seq) { return body_of_size(seq, 100); }), 4u);
    again.remove(4);
  }
  Spool third(dir, 1 << 20);
  EXPECT_TRUE(third.pending().empty());
  EXPECT_EQ(third.next_seq(), 5u);  // empty spool, but numbers go on
  EXPECT_EQ(fs::status(dir).permissions() & fs::perms::all, fs::perms::owner_all);
  fs::remove_all(dir.parent_path());
}

TEST(Spool, ASecondAgentOnTheSameFolderIsRefusedUntilTheFirstIsGone) {
  const fs::path dir = make_temp_dir("spool") / "s";
  {
    Spool first(dir, 1 << 20);
    try {
      Spool second(dir, 1 << 20);
      ADD_FAILURE() << "a second spool on the same folder was accepted";
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find("in use by another hpcmond --agent"), std::string::npos) << e.what();
    }
    EXPECT_EQ(first.append("samples", [](std::uint64_t seq) { return body_of_size(seq, 100); }), 1u);
  }
  Spool after(dir, 1 << 20);  // the lock went with the first agent
  EXPECT_EQ(seqs(after), (std::vector<std::uint64_t>{1}));
  fs::remove_all(dir.parent_path());
}

// A stand-in for the head's agent listener: stores each POST body, answers 200.
class Receiver {
 public:
  explicit Receiver(std::uint16_t port) {
    daemon_ = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, port, nullptr, nullptr, &Receiver::handle, this,
                               MHD_OPTION_END);
  }
  ~Receiver() {
    if (daemon_) MHD_stop_daemon(daemon_);
  }
  bool running() const { return daemon_ != nullptr; }
  std::vector<json> messages() {
    std::lock_guard lock(mutex_);
    return messages_;
  }
  std::set<std::string> authorizations() {
    std::lock_guard lock(mutex_);
    return auth_;
  }

 private:
  static MHD_Result handle(void* self, MHD_Connection* c, const char* url, const char* method, const char*,
                           const char* upload, size_t* upload_size, void** state) {
    auto* r = static_cast<Receiver*>(self);
    if (!*state) {
      *state = new std::string;
      return MHD_YES;
    }
    auto* body = static_cast<std::string*>(*state);
    if (*upload_size) {
      body->append(upload, *upload_size);
      *upload_size = 0;
      return MHD_YES;
    }
    unsigned status = 200;
    if (std::string(method) != "POST" || std::string(url) != "/api/v1/agent/push") status = 404;
    else {
      std::lock_guard lock(r->mutex_);
      r->messages_.push_back(json::parse(*body));
      const char* auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
      r->auth_.insert(auth ? auth : "");
    }
    delete body;
    *state = nullptr;
    static const char answer[] = R"({"data":{"accepted":true}})";
    MHD_Response* resp = MHD_create_response_from_buffer(sizeof answer - 1, const_cast<char*>(answer), MHD_RESPMEM_PERSISTENT);
    const MHD_Result rc = MHD_queue_response(c, status, resp);
    MHD_destroy_response(resp);
    return rc;
  }
  MHD_Daemon* daemon_ = nullptr;
  std::mutex mutex_;
  std::vector<json> messages_;
  std::set<std::string> auth_;
};

std::uint16_t free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t len = sizeof addr;
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

std::size_t spool_files(const fs::path& dir) {
  std::size_t n = 0;
  for (const auto& f : fs::directory_iterator(dir))
    if (f.path().extension() == ".json") ++n;
  return n;
}

TEST(Push, TheAgentsSpoolStaysWithinItsBoundWhileTheHeadIsAbsent) {
  const std::uint16_t port = free_port();
  AgentHarness h("bound", [&](AgentOptions& o) {
    o.head_url = "http://127.0.0.1:" + std::to_string(port);
    o.spool_max_bytes = 8192;
    o.node_interval_s = 0.02;  // about 1 KiB of node samples per push
    o.push_interval_s = 0.05;
  });
  ASSERT_TRUE(wait_for([&] { return h.counters().spool_dropped >= 5; }, 15));
  std::uint64_t bytes = 0;
  for (const auto& f : fs::directory_iterator(h.options().spool_dir))
    if (f.path().extension() == ".json") bytes += f.file_size();
  EXPECT_LE(bytes, 8192u);
  EXPECT_GT(bytes, 0u);
  EXPECT_EQ(h.counters().pushes_sent, 0u);
}

TEST(Push, SpoolsWhileTheHeadIsAbsentThenReplaysInOrderOnce) {
  const std::uint16_t port = free_port();
  AgentHarness h("push", [&](AgentOptions& o) { o.head_url = "http://127.0.0.1:" + std::to_string(port); });
  {
    std::ofstream token(h.options().token_file);
    token << "s3cret-agent-token\n";
  }
  ASSERT_EQ(chmod(h.options().token_file.c_str(), 0600), 0);
  const std::int64_t start = now_ns();
  ASSERT_EQ(h.send(step_start_line("201", "0", start)), 0);
  const pid_t child = fork();
  if (child == 0) {
    usleep(300000);
    _exit(0);
  }
  ASSERT_EQ(h.send(task_line("task_start", "201", "0", 0, child)), 0);
  int status = 0;
  waitpid(child, &status, 0);
  ASSERT_EQ(h.send(step_end_line("201", "0", now_ns(), 0)), 0);
  ASSERT_TRUE(wait_for([&] { return h.counters().records_written == 1; }));
  ASSERT_TRUE(wait_for([&] { return spool_files(h.options().spool_dir) >= 3; }));
  EXPECT_EQ(h.counters().pushes_sent, 0u);

  // The agent restarts while the head is still away: the spool is still there.
  h.stop();
  const std::size_t spooled = spool_files(h.options().spool_dir);
  h.start();
  EXPECT_GE(spool_files(h.options().spool_dir), spooled);

  Receiver head(port);
  ASSERT_TRUE(head.running());
  // The pusher backs off while the head is absent (up to 30 s); the agent's next samples wake it.
  ASSERT_TRUE(wait_for([&] { return spool_files(h.options().spool_dir) == 0 && head.messages().size() >= spooled; }, 25));
  h.stop();
  const auto messages = head.messages();
  std::set<std::uint64_t> seen;
  std::uint64_t last = 0;
  std::string instance;
  int notices = 0;
  for (const auto& m : messages) {
    EXPECT_EQ(m["v"], 1);
    const auto seq = m["seq"].get<std::uint64_t>();
    EXPECT_GT(seq, last) << "out of order";
    EXPECT_TRUE(seen.insert(seq).second) << "sent twice: " << seq;
    last = seq;
    if (instance.empty()) instance = m["agent"]["instance"];
    EXPECT_EQ(m["agent"]["instance"], instance);
    if (m["kind"] == "record_ready") {
      ++notices;
      EXPECT_EQ(m["record"]["job"], "201");
      EXPECT_EQ(m["record"]["exit_status"], 0);
      EXPECT_TRUE(fs::exists(h.records() / m["record"]["path"].get<std::string>()));
    } else {
      ASSERT_EQ(m["kind"], "samples");
      EXPECT_TRUE(m["samples"]["node"].is_array());
    }
  }
  EXPECT_EQ(notices, 1);
  EXPECT_EQ(seen.size(), messages.size());
  EXPECT_EQ(*seen.begin(), 1u);
  EXPECT_EQ(last, seen.size());  // 1..n, nothing lost, nothing twice
  EXPECT_EQ(head.authorizations(), std::set<std::string>{"Bearer s3cret-agent-token"});
}

// A step whose task lives in a memory cgroup with a limit: its readings in the pushes carry
// that limit (read from the real v1 hierarchy of this machine) and where it came from.
TEST(Push, StepReadingsCarryTheCgroupMemoryLimit) {
  ScratchMemoryCgroup cgroup(96 << 20);
  if (!cgroup.ok()) GTEST_SKIP() << "no writable cgroup v1 memory hierarchy here";
  const std::uint16_t port = free_port();
  Receiver head(port);
  ASSERT_TRUE(head.running());
  AgentHarness h("limit", [&](AgentOptions& o) { o.head_url = "http://127.0.0.1:" + std::to_string(port); });
  {
    std::ofstream token(h.options().token_file);
    token << "limit-agent-token\n";
  }
  ASSERT_EQ(chmod(h.options().token_file.c_str(), 0600), 0);
  WaitingChild child;
  ASSERT_TRUE(child.started());
  ASSERT_TRUE(cgroup.add(child.pid()));  // as slurmstepd does before the task runs
  ASSERT_EQ(h.send(step_start_line("301", "0", now_ns())), 0);
  ASSERT_EQ(h.send(task_line("task_start", "301", "0", 0, child.pid())), 0);
  json reading;
  const bool seen = wait_for([&] {
    for (const auto& m : head.messages())
      if (m["kind"] == "samples")
        for (const auto& step : m["samples"]["steps"])
          if (step["job"] == "301" && step.contains("mem_limit_bytes")) {
            reading = step;
            return true;
          }
    return false;
  }, 10);
  child.release();
  ASSERT_TRUE(seen) << "no step reading with mem_limit_bytes";
  EXPECT_EQ(std::to_string(reading["mem_limit_bytes"].get<std::uint64_t>()), cgroup.limit_text());
  EXPECT_EQ(reading["mem_limit_source"], "cgroup v1");
  ASSERT_EQ(h.send(step_end_line("301", "0", now_ns(), 0)), 0);
  ASSERT_TRUE(wait_for([&] { return h.counters().records_written == 1; }));
}

}  // namespace
}  // namespace hpcmon::agent::test
