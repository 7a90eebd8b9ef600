// A real agent on a temporary socket and record folder, run on a thread of the test, and a
// client that speaks the step-event protocol to it over the real Unix socket.
#pragma once

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <functional>
#include <memory>
#include <string>
#include <thread>

#include "hpcmon/agent.hpp"

namespace hpcmon::agent::test {

namespace fs = std::filesystem;

inline fs::path make_temp_dir(const std::string& tag) {
  std::string pattern = "/tmp/hpcmond-" + tag + "-XXXXXX";
  char* made = ::mkdtemp(pattern.data());
  if (!made) throw std::runtime_error("mkdtemp failed");
  ::chmod(made, 0755);
  return made;
}

inline std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Polls `done` every 10 ms for up to `seconds`.
inline bool wait_for(const std::function<bool()>& done, double seconds = 10) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < until) {
    if (done()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return done();
}

// Connects, writes `text`, closes; errno-style result: 0 when sent.
inline int send_text(const fs::path& socket_path, const std::string& text) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof addr.sun_path - 1);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const int e = errno;
    ::close(fd);
    return e;
  }
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::send(fd, text.data() + done, text.size() - done, MSG_NOSIGNAL);  // a refusing agent closes first
    if (n <= 0) break;
    done += static_cast<std::size_t>(n);
  }
  ::close(fd);
  return 0;
}

class AgentHarness {
 public:
  explicit AgentHarness(const std::string& tag, std::function<void(AgentOptions&)> adjust = {})
      : dir_(make_temp_dir(tag)) {
    fs::create_directories(dir_ / "run");
    fs::create_directories(dir_ / "records");
    ::chmod((dir_ / "run").c_str(), 0755);
    ::chmod((dir_ / "records").c_str(), 0755);
    options_.socket_path = dir_ / "run" / "agent.sock";
    options_.record_dir = dir_ / "records";
    options_.process_interval_s = 0.05;
    options_.node_interval_s = 0.1;
    options_.push_interval_s = 0.1;
    options_.spool_dir = dir_ / "spool";
    options_.token_file = dir_ / "token";
    if (adjust) adjust(options_);
    start();
  }
  ~AgentHarness() {
    stop();
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  void start() {
    stop_ = false;
    agent_ = std::make_unique<Agent>(options_, log_);
    thread_ = std::thread([this] { agent_->run(stop_); });
  }
  void stop() {
    if (!agent_) return;
    stop_ = true;
    thread_.join();
    agent_.reset();
  }
  int send(const std::string& line) { return send_text(options_.socket_path, line + "\n"); }
  AgentCounters counters() const { return agent_->counters(); }
  const fs::path& dir() const { return dir_; }
  const AgentOptions& options() const { return options_; }
  fs::path records() const { return options_.record_dir; }

 private:
  fs::path dir_;
  AgentOptions options_;
  Log log_{Level::warning};
  std::atomic<bool> stop_{false};
  std::unique_ptr<Agent> agent_;
  std::thread thread_;
};

// Protocol lines, as the SPANK plugin writes them.
inline std::string step_start_line(const std::string& job, const std::string& step, std::int64_t start_ns,
                                   const std::string& extra = "", uid_t uid = 0, const std::string& user = "root") {
  return R"({"v":1,"event":"step_start","job_id":)" + job + R"(,"step":")" + step +
         R"(","cluster":"testcl","job":")" + job + R"(","restart_count":0,"uid":)" + std::to_string(uid) +
         R"(,"gid":)" + std::to_string(uid) + R"(,"user":")" + user +
         R"(","node":"node1","start_ns":)" + std::to_string(start_ns) +
         R"(,"ntasks":1,"local_tasks":1,"cpus":"0-1","mem_bytes":0,"time_limit_s":0,"job_name":"burn \"test\"","partition":"debug","account":"acct","node_list":"node1","argv":["burn","--seconds","1"],"run_dir":"/tmp/not-used","monitor":"on","events":["perf::task-clock"])" +
         extra + "}";
}
inline std::string task_line(const std::string& event, const std::string& job, const std::string& step, int task,
                             pid_t pid, int status = 0) {
  std::string line = R"({"v":1,"event":")" + event + R"(","job_id":)" + job + R"(,"step":")" + step +
                     R"(","task":)" + std::to_string(task) + R"(,"global_task":)" + std::to_string(task) +
                     R"(,"pid":)" + std::to_string(pid);
  if (event == "task_exit") line += R"(,"status":)" + std::to_string(status);
  return line + "}";
}
inline std::string step_end_line(const std::string& job, const std::string& step, std::int64_t end_ns, int exit_status) {
  return R"({"v":1,"event":"step_end","job_id":)" + job + R"(,"step":")" + step + R"(","end_ns":)" +
         std::to_string(end_ns) + R"(,"exit_status":)" + std::to_string(exit_status) + "}";
}

}  // namespace hpcmon::agent::test
