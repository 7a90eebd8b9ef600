// The slow-log collector of the head (db_slowlog_collector.hpp): one thread, one follower round
// per accounting_db.interval_s, the analysis under a mutex, per-fingerprint history.
#include "hpcmon/head/db_slowlog_collector.hpp"

#include "hpcmon/dbhealth/dbhealth.hpp"
#include "hpcmon/dbhealth/db_monitor.hpp"
#include "hpcmon/history.hpp"

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace hpcmon::head {
namespace {

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

class Collector final : public SlowLogCollector {
 public:
  Collector(const config::AccountingDb& settings, std::string cluster, history::Store* history, Log& log)
      : settings_(settings), cluster_(std::move(cluster)), history_(history), log_(log), analyzer_(settings),
        follower_(settings.slow_log, settings.slow_log_state, static_cast<std::uint64_t>(settings.slow_log_read_max_bytes),
                  [&log](const std::string& line) { log.warning(line); }) {
    thread_ = std::thread([this] { loop(); });
  }
  ~Collector() override {
    {
      std::lock_guard lock(mutex_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

  nlohmann::json to_json() const override {
    std::lock_guard lock(mutex_);
    nlohmann::json out = dbhealth::report_json(analyzer_, static_cast<std::size_t>(settings_.top_fingerprints));
    const auto& p = follower_.position();
    out["slow_log"] = {{"path", settings_.slow_log}, {"offset", p.offset},         {"entries", p.entries},
                       {"malformed", p.malformed},   {"rounds", rounds_.load()}, {"interval_s", settings_.interval_s}};
    return out;
  }
  std::uint64_t rounds() const override { return rounds_.load(); }

 private:
  void loop() {
    std::unique_lock lock(mutex_);
    while (!stop_) {
      lock.unlock();
      round();
      lock.lock();
      wake_.wait_for(lock, std::chrono::duration<double>(settings_.interval_s), [this] { return stop_; });
    }
  }

  void round() {
    dbhealth::FollowerRound read;
    {
      // The follower is only used here, but its position is read by to_json(): under the lock.
      std::lock_guard lock(mutex_);
      read = follower_.poll();
      for (const auto& entry : read.entries) analyzer_.add(entry);
    }
    ++rounds_;
    if (history_) feed_history();
  }

  // Per top fingerprint: executions per second since the last round and its p95 latency;
  // the follower's totals.
  void feed_history() {
    const std::int64_t t = now_ns();
    std::vector<history::Write> batch;
    std::lock_guard lock(mutex_);
    auto add = [&](const std::string& metric, const history::Labels& labels, double value) {
      if (std::isfinite(value)) batch.push_back({history_->series(metric, labels), t, value});
    };
    const history::Labels base{{"cluster", cluster_}};
    add("db.slowlog_entries", base, static_cast<double>(follower_.position().entries));
    add("db.slowlog_malformed", base, static_cast<double>(follower_.position().malformed));
    const double elapsed = last_t_ ? static_cast<double>(t - last_t_) / 1e9 : 0;
    for (const auto* stats : analyzer_.top(static_cast<std::size_t>(settings_.top_fingerprints))) {
      const history::Labels labels{{"cluster", cluster_}, {"fingerprint", stats->id}};
      auto& last = last_counts_[stats->id];
      if (elapsed > 0 && stats->count >= last) add("db.fingerprint_rate", labels, (stats->count - last) / elapsed);
      last = stats->count;
      add("db.fingerprint_p95_s", labels, stats->latency.quantile(0.95));
      add("db.fingerprint_total_time_s", labels, stats->total_time_s);
    }
    last_t_ = t;
    history_->append(batch);
  }

  config::AccountingDb settings_;
  std::string cluster_;
  history::Store* history_;
  Log& log_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::atomic<std::uint64_t> rounds_{0};
  dbhealth::Analyzer analyzer_;
  dbhealth::SlowLogFollower follower_;
  std::unordered_map<std::string, std::uint64_t> last_counts_;
  std::int64_t last_t_ = 0;
  std::thread thread_;
};

}  // namespace

std::unique_ptr<SlowLogCollector> start_slowlog_collector(const config::AccountingDb& settings,
                                                          const std::string& cluster, history::Store* history,
                                                          Log& log) {
  if (!settings.enabled || settings.slow_log.empty()) return nullptr;
  log.info("accounting database: following the slow log " + settings.slow_log + " every " +
           std::to_string(static_cast<int>(settings.interval_s)) + " s (position in " + settings.slow_log_state + ")");
  return std::make_unique<Collector>(settings, cluster, history, log);
}

void register_db_routes(Router& router, const SlowLogCollector* slowlog, const dbhealth::DbMonitor* monitor) {
  router.get("/api/v1/db", [slowlog, monitor](const Request& request) -> Outcome {
    if (!slowlog && !monitor)
      return ApiError{ErrorType::unavailable,
                      "accounting database watching is off (accounting_db.enabled: false)", ""};
    if (!request.sees_all)
      return ApiError{ErrorType::forbidden, "the accounting database's statements are shown to administrators only", ""};
    nlohmann::json out = slowlog ? slowlog->to_json() : nlohmann::json{{"slow_log", nullptr}};
    out["connections"] = monitor ? monitor->to_json() : nlohmann::json(nullptr);
    return out;
  });
}

}  // namespace hpcmon::head
