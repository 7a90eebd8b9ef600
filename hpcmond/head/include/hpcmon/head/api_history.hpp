// The head daemon's side of the durable history (hpcmond/history): what it stores (every
// agent push's node and step readings, the head's own system samples, Slurm counts), the
// history endpoints that answer from the store, and its figures in /health and /metrics.
// Never: answers a push 2xx whose samples the store refused (the agent keeps it and retries).
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "hpcmon/config.hpp"
#include "hpcmon/head/http.hpp"
#include "hpcmon/head/log.hpp"
#include "hpcmon/history.hpp"

namespace hpcmon::head {

struct Services;

// Opens the store of config.history (null when disabled); throws history::StoreError.
std::unique_ptr<history::Store> open_history(const config::Config& config, Log& log);

// Stores the node and step readings of one agent push body before the push is answered.
// A body that is not a valid push is left to the agent store's checks (nothing stored here).
// Returns 503 `unavailable` when the store refuses the samples (full disk, I/O error).
std::optional<ApiError> store_push(const Services& services, const std::string& body);

// GET /api/v1/metrics/history and GET /api/v1/nodes/{node}/history (docs/api.md).
void register_history_routes(Router& router, Services& services);

// The store's figures for /api/v1/health, and its lines of the /metrics exposition.
nlohmann::json history_health(const Services& services);
std::string history_exposition(const Services& services);

// Stores the head's own system samples (each new snapshot) and Slurm's counts (each poll
// interval) on its own thread; deletes job records older than history.record_retention_days.
class HistoryFeeder {
 public:
  HistoryFeeder(const config::Config& config, const Services& services, Log& log);
  ~HistoryFeeder();
  void feed_once();           // one round now (tests)
  std::size_t expire_records(std::int64_t now_ns);  // returns how many record files were deleted

 private:
  void loop();
  const Services& services_;
  Log& log_;
  std::vector<std::string> record_dirs_;  // hpc.record_dir and the canonical records' folder
  double record_retention_days_;
  double slurm_interval_s_;
  std::int64_t last_system_ns_ = 0, last_slurm_ns_ = 0, last_retention_ns_ = 0;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace hpcmon::head
