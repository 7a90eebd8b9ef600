// Test helpers: the shipped hpcmond as a child process (started, SIGKILLed, restarted on the
// same state file), pushes as a node agent over HTTP, the alerts API read back with libcurl,
// and helper programs (receivers) as child processes.
#pragma once

#include <curl/curl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

namespace hpcmon::alerts::test {

using nlohmann::json;
namespace fs = std::filesystem;

struct Reply {
  long status = 0;
  std::string body;
  json data() const {
    const json envelope = json::parse(body, nullptr, false);
    return envelope.is_object() && envelope.contains("data") ? envelope["data"] : json();
  }
};

inline std::size_t append_body(char* data, std::size_t size, std::size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

inline Reply http(const std::string& url, const std::string& body = "", const std::string& token = "") {
  Reply reply;
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  if (!token.empty()) headers = curl_slist_append(headers, ("Authorization: Bearer " + token).c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  if (!body.empty()) {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  }
  if (curl_easy_perform(curl) == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return reply;
}

inline std::uint16_t free_port() {
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

inline std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

template <class Check>
bool eventually(Check check, double seconds = 10) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (check()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return check();
}

inline void write_text(const fs::path& path, const std::string& text, fs::perms mode = fs::perms(0600)) {
  fs::create_directories(path.parent_path());
  { std::ofstream(path) << text; }
  fs::permissions(path, mode);
}

inline std::string read_text(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "hpcmon-alerts-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

// A child process; SIGKILLed and reaped when destroyed.
class Child {
 public:
  Child() = default;
  explicit Child(const std::vector<std::string>& argv, const fs::path& output = "/dev/null") { start(argv, output); }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;
  ~Child() { kill(SIGKILL); }
  void start(const std::vector<std::string>& argv, const fs::path& output = "/dev/null") {
    pid_ = ::fork();
    if (pid_ == 0) {
      ::setpgid(0, 0);
      std::FILE* out = std::fopen(output.c_str(), "a");
      if (out) {
        ::dup2(fileno(out), 1);
        ::dup2(fileno(out), 2);
      }
      std::vector<char*> args;
      for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
      args.push_back(nullptr);
      ::execv(args[0], args.data());
      ::_exit(127);
    }
  }
  void kill(int signal) {
    if (pid_ <= 0) return;
    ::kill(-pid_, signal);
    ::kill(pid_, signal);
    int status = 0;
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
  bool running() const { return pid_ > 0 && ::waitpid(pid_, nullptr, WNOHANG) == 0; }
  void signal(int signal) const {
    if (pid_ > 0) ::kill(pid_, signal);
  }

 private:
  pid_t pid_ = -1;
};

// hpcmond (head mode) with a configuration written from `alerting_yaml` (the body of the
// alerting section) and `extra_yaml` (other sections), its tokens and state in `dir`.
class Daemon {
 public:
  static constexpr const char* agent_token = "agent-token-for-tests";
  static constexpr const char* human_token = "human-token-for-tests";

  Daemon(const fs::path& dir, const std::string& alerting_yaml, const std::string& extra_yaml = "")
      : dir_(dir), port_(free_port()), agent_port_(free_port()), extra_yaml_(extra_yaml) {
    while (agent_port_ == port_) agent_port_ = free_port();
    write_text(dir / "agent.token", std::string(agent_token) + "\n");
    write_text(dir / "api.token", std::string(human_token) + "\n");
    fs::create_directories(dir / "records");
    write_config(alerting_yaml);
    start();
  }
  // Rewrites the configuration file with another alerting section (for a reload).
  void write_config(const std::string& alerting_yaml) {
    write_text(dir_ / "hpcmon.yaml",
               "general:\n  node_sample_interval_s: 0.2\n"
               "hpc:\n  record_dir: " + (dir_ / "records").string() + "\n"
               "agent:\n  push_interval_s: 0.5\n"
               "api:\n  port: " + std::to_string(port_) + "\n  agent_port: " + std::to_string(agent_port_) +
                   "\n  token_file: " + (dir_ / "api.token").string() +
                   "\n  agent_token_file: " + (dir_ / "agent.token").string() +
                   "\n  record_scan_interval_s: 0.2\n" + extra_yaml_ +
                   // Its own history and canonical records, never the machine's /var/lib/hpcmon.
                   "history:\n  path: " + (dir_ / "history").string() + "\n" +
                   "alerting:\n  state_file: " + (dir_ / "alerts.json").string() + "\n" + alerting_yaml,
               fs::perms(0644));
  }
  void signal(int signal) const { process_.signal(signal); }
  fs::path config_file() const { return dir_ / "hpcmon.yaml"; }
  void start() {
    process_.start({HPCMOND_BIN, "--config", (dir_ / "hpcmon.yaml").string()}, dir_ / "hpcmond.log");
    eventually([&] { return http(url("/api/v1/health")).status == 200; }, 10);
  }
  void sigkill() { process_.kill(SIGKILL); }
  void sigterm() { process_.kill(SIGTERM); }  // returns once the daemon has exited
  std::string url(const std::string& path) const { return "http://127.0.0.1:" + std::to_string(port_) + path; }
  std::string log() const { return read_text(dir_ / "hpcmond.log"); }

  // One push of the agent protocol (docs/api.md), as node agent `node`.
  Reply push(const std::string& node, const json& node_readings, const json& steps = json::array()) {
    const json body = {{"v", 1}, {"kind", "samples"}, {"seq", ++seq_},
                       {"agent", {{"node", node}, {"instance", instance_}, {"hostname", node}}},
                       {"sent_ns", now_ns()},
                       {"samples", {{"node", node_readings}, {"steps", steps}}}};
    return http("http://127.0.0.1:" + std::to_string(agent_port_) + "/api/v1/agent/push", body.dump(), agent_token);
  }
  json alerts(const std::string& query = "") const { return http(url("/api/v1/alerts" + query)).data(); }
  // The first alert of `alertname` in `state` (null when none).
  json find(const std::string& alertname, const std::string& state) const {
    const json data = alerts("?alertname=" + alertname + "&state=" + state);
    if (!data.contains("alerts") || data["alerts"].empty()) return json();
    return data["alerts"][0];
  }
  Reply acknowledge(const std::string& id, const std::string& comment, const std::string& token = human_token) {
    return http(url("/api/v1/alerts/acknowledge"), json{{"id", id}, {"comment", comment}}.dump(), token);
  }

 private:
  fs::path dir_;
  std::uint16_t port_, agent_port_;
  std::string extra_yaml_;
  std::uint64_t seq_ = 0;
  std::string instance_ = std::to_string(now_ns() % 1000000007);
  Child process_;
};

}  // namespace hpcmon::alerts::test
