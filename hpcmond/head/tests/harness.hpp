// Test helpers of the head daemon: records written through hpcmon::store, and the daemon's
// run() on its own thread with free ports; the HTTP client, temporary folders and polling
// come from hpcmond_test_support (shared with the alert and history tests).
#pragma once

#include <atomic>
#include <chrono>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "hpcmon/config.hpp"
#include "hpcmon/head/head.hpp"
#include "hpcmon/record.hpp"
#include "hpcmon/store.hpp"
#include "hpcmon/test_support/files.hpp"
#include "hpcmon/test_support/http_client.hpp"

namespace hpcmon::head::test {

using test_support::eventually;
using test_support::free_port;
using test_support::http;
using test_support::now_ns;
using test_support::Reply;
using test_support::write_text;

struct TempDir : test_support::TempDir {
  TempDir() : test_support::TempDir("head") {}
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

// A daemon configuration that serves the records under dir/records at once (a scan every
// 0.2 s, no wait for node partials), its token files in dir, its log off.
inline config::Config records_config(const std::filesystem::path& dir) {
  config::Config config = config::defaults();
  config.general.log_level = "off";
  config.hpc.record_dir = (dir / "records").string();
  config.api.record_scan_interval_s = 0.2;
  config.api.merge_timeout_s = 0;
  config.api.token_file = (dir / "api.token").string();
  config.api.agent_token_file = (dir / "agent.token").string();
  return config;
}

// The daemon's run() on a thread, stopped and joined when this goes out of scope.
class Daemon {
 public:
  explicit Daemon(config::Config config) : config_(std::move(config)) {
    config_.api.port = free_port();
    do config_.api.agent_port = free_port(); while (config_.api.agent_port == config_.api.port);
    // Alert state and history of its own unless the test names them (the defaults are the system's).
    if (config_.alerting.state_file == config::defaults().alerting.state_file)
      config_.alerting.state_file = (state_dir_.path() / "alerts.json").string();
    if (config_.history.path == config::defaults().history.path)
      config_.history.path = (state_dir_.path() / "history").string();
    thread_ = std::thread([this] { result_ = run(config_, stop_, &reload_); });
    eventually([&] { return http(url("/api/v1/health")).status == 200; }, 5);
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
  TempDir state_dir_;  // declared first: removed after the daemon stopped
  config::Config config_;
  std::atomic<bool> stop_{false}, reload_{false};
  int result_ = -1;
  std::thread thread_;
};

}  // namespace hpcmon::head::test
