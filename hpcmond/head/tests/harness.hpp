// Test helpers of the head daemon: a libcurl client, temporary folders, records written
// through hpcmon::store, and the daemon's run() on its own thread with a free port.
#pragma once

#include <curl/curl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "hpcmon/config.hpp"
#include "hpcmon/head/head.hpp"
#include "hpcmon/record.hpp"
#include "hpcmon/store.hpp"

namespace hpcmon::head::test {

struct Reply {
  long status = 0;
  std::string body;
  std::string content_type;
  nlohmann::json json() const { return nlohmann::json::parse(body, nullptr, false); }
};

inline std::size_t append_body(char* data, std::size_t size, std::size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

inline Reply http(const std::string& url, const std::string& method = "GET",
                  const std::string& body = "", const std::vector<std::string>& headers = {}) {
  Reply reply;
  CURL* curl = curl_easy_init();
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  curl_slist* list = nullptr;
  for (const auto& header : headers) list = curl_slist_append(list, header.c_str());
  if (list) curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  if (method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  } else if (method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  }
  if (curl_easy_perform(curl) == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
    char* type = nullptr;
    curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
    if (type) reply.content_type = type;
  }
  curl_slist_free_all(list);
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

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "hpcmon-head-XXXXXX").string();
    path_ = ::mkdtemp(pattern.data());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline record::RecordKey key_of(const std::string& job, const std::string& step) {
  return {"testcl", job, step, 0, 0};
}

// A rank-0 MPI record: `ranks` ranks spread over `nodes` round-robin.
inline record::JobRecord mpi_record(const std::string& job, const std::string& step,
                                    const std::vector<std::string>& nodes, int ranks,
                                    std::int64_t start_ns, const std::string& claimed_user = "alice") {
  record::JobRecord rec;
  rec.job.key = key_of(job, step);
  rec.job.job_name = "heat";
  rec.job.user = claimed_user;
  rec.job.partition = "debug";
  rec.job.node_count = static_cast<std::uint32_t>(nodes.size());
  rec.job.rank_count = static_cast<std::uint32_t>(ranks);
  rec.job.start_ns = start_ns;
  rec.job.end_ns = start_ns + 10'000'000'000LL;
  rec.has_mpi = true;
  for (int r = 0; r < ranks; ++r) {
    record::RankRow row;
    row.rank = r;
    row.node = nodes[static_cast<std::size_t>(r) % nodes.size()];
    row.wall_s = 10;
    row.user_cpu_s = 8;
    row.mpi_s = 2;
    rec.ranks.push_back(row);
  }
  return rec;
}

// A node partial: the agent's view of one node, with the exit status.
inline record::JobRecord node_partial(const std::string& job, const std::string& step,
                                      const std::string& node, std::int64_t start_ns,
                                      std::int32_t exit_status, std::uint32_t node_count) {
  record::JobRecord rec;
  rec.job.key = key_of(job, step);
  rec.job.node_count = node_count;
  rec.job.start_ns = start_ns;
  rec.job.end_ns = start_ns + 11'000'000'000LL;
  rec.job.exit_status_known = true;
  rec.job.exit_status = exit_status;
  record::NodeRow row;
  row.node = node;
  row.hostname = node;
  row.cpus = 2;
  row.cpu_util_mean = 0.5;
  rec.nodes.push_back(row);
  return rec;
}

inline std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The daemon's run() on a thread, stopped and joined when this goes out of scope.
class Daemon {
 public:
  explicit Daemon(config::Config config) : config_(std::move(config)) {
    config_.api.port = free_port();
    do config_.api.agent_port = free_port(); while (config_.api.agent_port == config_.api.port);
    // An alert state file of its own unless the test names one (the default is the system's).
    if (config_.alerting.state_file == config::defaults().alerting.state_file)
      config_.alerting.state_file = (alerts_dir_.path() / "alerts.json").string();
    // A history folder of its own unless the test names one (the default is the system's).
    if (config_.history.path == config::defaults().history.path) config_.history.path = (history_dir_.path() / "history").string();
    thread_ = std::thread([this] { result_ = run(config_, stop_, &reload_); });
    for (int i = 0; i < 200; ++i) {
      if (http(url("/api/v1/health")).status == 200) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(25));
    }
  }
  ~Daemon() {
    stop_ = true;
    thread_.join();
  }
  std::string url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(config_.api.port) + path;
  }
  // The agents' listener (plain HTTP unless the config names a certificate).
  std::string agent_url(const std::string& path) const {
    const bool tls = !config_.api.agent_tls_cert_file.empty();
    return std::string(tls ? "https" : "http") + "://127.0.0.1:" + std::to_string(config_.api.agent_port) + path;
  }
  void reload() { reload_ = true; }
  int result() const { return result_; }

 private:
  TempDir history_dir_;  // before config_: removed after the daemon stopped
  TempDir alerts_dir_;  // before config_: removed after the daemon stopped
  config::Config config_;
  std::atomic<bool> stop_{false}, reload_{false};
  int result_ = -1;
  std::thread thread_;
};

inline void write_text(const std::filesystem::path& path, const std::string& text, int mode = 0600) {
  std::filesystem::create_directories(path.parent_path());
  { std::ofstream(path) << text; }
  std::filesystem::permissions(path, static_cast<std::filesystem::perms>(mode));
}

// Polls `check` until true or the timeout.
template <class Check>
bool eventually(Check check, double seconds = 5) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (std::chrono::steady_clock::now() < deadline) {
    if (check()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return check();
}

}  // namespace hpcmon::head::test
