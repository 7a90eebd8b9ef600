// The shipped hpcmond (head mode) killed with SIGKILL while an agent pushes through the real
// HTTP endpoint: after a restart on the same folder, every push answered 2xx is returned by
// the history API. And a store over history.max_disk_bytes refuses pushes with 503, counted
// in /api/v1/health and /metrics.
#include <gtest/gtest.h>

#include <curl/curl.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace {

using nlohmann::json;
namespace fs = std::filesystem;

std::size_t append_body(char* data, std::size_t size, std::size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

struct Reply {
  long status = 0;
  std::string body;
};

class Client {
 public:
  Client() : curl_(curl_easy_init()) {}
  ~Client() { curl_easy_cleanup(curl_); }
  Reply request(const std::string& url, const std::string& body = "", const std::string& token = "") {
    Reply reply;
    curl_easy_reset(curl_);
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, append_body);
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &reply.body);
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT, 10L);
    curl_slist* headers = nullptr;
    if (!body.empty()) {
      headers = curl_slist_append(headers, "Content-Type: application/json");
      headers = curl_slist_append(headers, ("Authorization: Bearer " + token).c_str());
      curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, headers);
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, body.c_str());
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    }
    if (curl_easy_perform(curl_) == CURLE_OK) curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &reply.status);
    curl_slist_free_all(headers);
    return reply;
  }

 private:
  CURL* curl_;
};

std::uint16_t free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof address);
  socklen_t length = sizeof address;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  ::close(fd);
  return ntohs(address.sin_port);
}

constexpr std::int64_t kBase = 1795814400LL * 1000000000LL;  // samples in the past: not expired (7 d raw)

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

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
  void SetUp() override {
    std::string pattern = (fs::temp_directory_path() / "hpcmon-history-daemon-XXXXXX").string();
    dir_ = ::mkdtemp(pattern.data());
    fs::create_directories(dir_ / "records");
    for (const char* name : {"agent.token", "api.token"}) {
      std::ofstream(dir_ / name) << (std::string(name) == "agent.token" ? token_ : "human-secret") << "\n";
      fs::permissions(dir_ / name, fs::perms::owner_read | fs::perms::owner_write);
    }
    port_ = free_port();
    do agent_port_ = free_port(); while (agent_port_ == port_);
  }
  void TearDown() override {
    stop(SIGTERM);
    fs::remove_all(dir_);
  }
  void write_config(const std::string& extra_history = "") {
    std::ofstream(dir_ / "head.yaml") << "general:\n  node_sample_interval_s: 0.5\n"
                                      << "hpc:\n  record_dir: " << (dir_ / "records").string() << "\n"
                                      << "api:\n  port: " << port_ << "\n  agent_port: " << agent_port_
                                      << "\n  token_file: " << (dir_ / "api.token").string()
                                      << "\n  agent_token_file: " << (dir_ / "agent.token").string() << "\n"
                                      << "history:\n  path: " << (dir_ / "history").string() << "\n" << extra_history;
  }
  void start() {
    pid_ = ::fork();
    if (pid_ == 0) {
      const int log = ::open((dir_ / "head.log").c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
      ::dup2(log, 1);
      ::dup2(log, 2);
      ::unsetenv("SLURM_CONF");
      ::execl(HPCMOND_PATH, HPCMOND_PATH, "--config", (dir_ / "head.yaml").c_str(), nullptr);
      ::_exit(127);
    }
    Client client;
    for (int i = 0; i < 400; ++i) {
      if (client.request(url("/api/v1/health")).status == 200) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
    FAIL() << "hpcmond did not answer; its log:\n" << log_text();
  }
  void stop(int signal) {
    if (pid_ <= 0) return;
    ::kill(pid_, signal);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  std::string push_url() const { return "http://127.0.0.1:" + std::to_string(agent_port_) + "/api/v1/agent/push"; }
  std::string log_text() const {
    std::ifstream in(dir_ / "head.log");
    return std::string(std::istreambuf_iterator<char>(in), {});
  }
  json data(const std::string& path) {
    Client client;
    const Reply reply = client.request(url(path));
    EXPECT_EQ(reply.status, 200) << path << ": " << reply.body;
    return json::parse(reply.body, nullptr, false)["data"];
  }

  fs::path dir_;
  std::string token_ = "agent-secret-0123456789";
  std::uint16_t port_ = 0, agent_port_ = 0;
  pid_t pid_ = -1;
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
      Client client;
      while (!stop_pushing) {
        const Reply reply = client.request(push_url(), push_body(acknowledged + 1, kBase), token_);
        if (reply.status != 200) break;  // the daemon is gone
        ++acknowledged;
      }
    });
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    stop(SIGKILL);
    stop_pushing = true;
    agent.join();
    ASSERT_GT(acknowledged, 5u) << log_text();
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
  EXPECT_NE(log_text().find("head daemon listening"), std::string::npos);
}

TEST_F(Head, PushesPastMaxDiskBytesAreRefusedWith503AndCounted) {
  write_config("  max_disk_bytes: 16384\n  wal_sync: none\n");
  start();
  Client client;
  int refused = 0;
  for (std::uint64_t seq = 1; seq < 2000 && refused == 0; ++seq) {
    const Reply reply = client.request(push_url(), push_body(seq, kBase), token_);
    if (reply.status == 503) ++refused;
    else ASSERT_EQ(reply.status, 200) << reply.body;
  }
  ASSERT_EQ(refused, 1);
  const json health = data("/api/v1/health");
  EXPECT_GE(health["history"]["writes_refused"].get<std::uint64_t>(), 1u);
  EXPECT_TRUE(health["history"]["disk_full"].get<bool>());
  EXPECT_NE(health["history"]["last_error"].get<std::string>().find("max_disk_bytes"), std::string::npos);
  const Reply metrics = client.request(url("/metrics"));
  ASSERT_EQ(metrics.status, 200);
  const auto at = metrics.body.find("\nhpcmon_history_writes_refused_total{");
  ASSERT_NE(at, std::string::npos);
  EXPECT_GE(std::stod(metrics.body.substr(metrics.body.find("} ", at) + 2)), 1.0);
  const auto full = metrics.body.find("\nhpcmon_history_disk_full{");
  ASSERT_NE(full, std::string::npos);
  EXPECT_EQ(metrics.body.substr(metrics.body.find("} ", full) + 2, 2), "1\n");
  EXPECT_NE(log_text().find("history: writes refused"), std::string::npos);
}

// history.record_retention_days: the head deletes record files older than the limit at start
// (then hourly); newer files, other files and symlinks stay.
TEST_F(Head, RecordsOlderThanTheRetentionAreDeleted) {
  write_config("  record_retention_days: 30\n");
  const fs::path day = dir_ / "records" / "alice" / "2026" / "09" / "01";
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
  EXPECT_NE(log_text().find("deleted 2 job record files older than"), std::string::npos) << log_text();
}

}  // namespace
