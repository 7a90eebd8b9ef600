// The statement collector of the head (db_slowlog_collector.hpp): one thread; per
// accounting_db.interval_s one slow-log round and the monitor's latest performance_schema
// digests into one analysis under a mutex; the analysis saved beside the slow log's position;
// per-fingerprint history (top K by total time, the rest as "other") and /metrics lines.
#include "hpcmon/head/db_slowlog_collector.hpp"

#include "hpcmon/dbhealth/dbhealth.hpp"
#include "hpcmon/dbhealth/db_monitor.hpp"
#include "hpcmon/history.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <fstream>
#include <mutex>
#include <optional>
#include <thread>
#include <unordered_map>
#include <unordered_set>

namespace hpcmon::head {
namespace {

constexpr const char* kOther = "other";  // the fingerprints outside the top K, summed

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string label_value(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

std::string number(double value) {
  char text[64];
  std::snprintf(text, sizeof text, "%.9g", value);
  return text;
}

// Written to NAME.tmp, flushed to disk, renamed over NAME: a crash leaves the old or the new.
bool write_atomically(const std::string& path, const std::string& text, std::string& error) {
  const std::string temporary = path + ".tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) {
    error = "cannot create " + temporary;
    return false;
  }
  std::size_t done = 0;
  while (done < text.size()) {
    const ssize_t n = ::write(fd, text.data() + done, text.size() - done);
    if (n <= 0) {
      ::close(fd);
      error = "cannot write " + temporary;
      return false;
    }
    done += static_cast<std::size_t>(n);
  }
  const bool synced = ::fdatasync(fd) == 0;
  ::close(fd);
  if (!synced || std::rename(temporary.c_str(), path.c_str()) != 0) {
    error = "cannot replace " + path;
    return false;
  }
  return true;
}

class Collector final : public SlowLogCollector {
 public:
  Collector(const config::AccountingDb& settings, std::string cluster, history::Store* history,
            const dbhealth::DbMonitor* monitor, Log& log)
      : settings_(settings), cluster_(std::move(cluster)), history_(history), monitor_(monitor), log_(log),
        analyzer_(settings), state_path_(analysis_state_path(settings)) {
    if (!settings.slow_log.empty())
      follower_.emplace(settings.slow_log, settings.slow_log_state,
                        static_cast<std::uint64_t>(settings.slow_log_read_max_bytes),
                        [&log](const std::string& line) { log.warning(line); });
    load_state();
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
    if (follower_) {
      const auto& p = follower_->position();
      out["slow_log"] = {{"path", settings_.slow_log}, {"offset", p.offset},         {"entries", p.entries},
                         {"malformed", p.malformed},   {"rounds", rounds_.load()}, {"interval_s", settings_.interval_s}};
    } else {
      out["slow_log"] = nullptr;
    }
    out["analysis_state"] = state_path_;
    return out;
  }
  std::uint64_t rounds() const override { return rounds_.load(); }

  std::string prometheus_text() const override {
    std::lock_guard lock(mutex_);
    const std::string c = "cluster=\"" + label_value(cluster_) + "\"";
    std::string executions, seconds, rows, latency;
    std::uint64_t other_count = 0, other_rows = 0;
    double other_seconds = 0;
    const auto top = top_ids();
    for (const auto& [id, s] : analyzer_.fingerprints()) {
      const std::uint64_t count = dbhealth::executions(s);
      const double total = dbhealth::total_time_s(s);
      const std::uint64_t examined = s.digest ? s.digest->rows_examined : s.rows_examined;
      if (!top.contains(id)) {
        other_count += count;
        other_seconds += total;
        other_rows += examined;
        continue;
      }
      const std::string l = "{" + c + ",fingerprint=\"" + label_value(id) + "\"";
      executions += "hpcmon_db_fingerprint_executions_total" + l + "} " + std::to_string(count) + "\n";
      seconds += "hpcmon_db_fingerprint_seconds_total" + l + "} " + number(total) + "\n";
      rows += "hpcmon_db_fingerprint_rows_examined_total" + l + "} " + std::to_string(examined) + "\n";
      const dbhealth::LatencySketch& sketch = s.count > 0 || !s.digest ? s.latency : s.digest->latency;
      for (const char* q : {"0.5", "0.95", "0.99"})
        latency += "hpcmon_db_fingerprint_latency_seconds" + l + ",quantile=\"" + q + "\"} " +
                   number(sketch.quantile(std::stod(q))) + "\n";
    }
    const std::string lo = std::string("{") + c + ",fingerprint=\"" + kOther + "\"} ";
    executions += "hpcmon_db_fingerprint_executions_total" + lo + std::to_string(other_count) + "\n";
    seconds += "hpcmon_db_fingerprint_seconds_total" + lo + number(other_seconds) + "\n";
    rows += "hpcmon_db_fingerprint_rows_examined_total" + lo + std::to_string(other_rows) + "\n";
    return "# HELP hpcmon_db_fingerprint_executions_total Executions of an accounting-database statement fingerprint "
           "(top accounting_db.top_fingerprints by total time; fingerprint=\"other\" sums the rest).\n"
           "# TYPE hpcmon_db_fingerprint_executions_total counter\n" + executions +
           "# HELP hpcmon_db_fingerprint_seconds_total Time spent executing the fingerprint's statements.\n"
           "# TYPE hpcmon_db_fingerprint_seconds_total counter\n" + seconds +
           "# HELP hpcmon_db_fingerprint_rows_examined_total Rows examined by the fingerprint's statements.\n"
           "# TYPE hpcmon_db_fingerprint_rows_examined_total counter\n" + rows +
           "# HELP hpcmon_db_fingerprint_latency_seconds Latency quantiles of the fingerprint's statements.\n"
           "# TYPE hpcmon_db_fingerprint_latency_seconds gauge\n" + latency;
  }

 private:
  // The ids of the top K by total time (mutex_ held).
  std::unordered_set<std::string> top_ids() const {
    std::unordered_set<std::string> ids;
    for (const auto* s : analyzer_.top(static_cast<std::size_t>(settings_.top_fingerprints))) ids.insert(s->id);
    return ids;
  }

  void loop() {
    std::unique_lock lock(mutex_);
    while (!stop_) {
      lock.unlock();
      try {
        round();
      } catch (const std::exception& e) {  // one bad round must not end the head
        log_.once(std::string("db-statements-round:") + e.what(),
                  std::string("accounting database statements: a round failed (") + e.what() + ")");
      }
      lock.lock();
      wake_.wait_for(lock, std::chrono::duration<double>(settings_.interval_s), [this] { return stop_; });
    }
  }

  void round() {
    {
      std::lock_guard lock(mutex_);
      bool changed = false;
      if (follower_) {
        const dbhealth::FollowerRound read = follower_->poll();
        for (const auto& entry : read.entries) analyzer_.add(entry);
        changed = !read.entries.empty() || read.malformed > 0 || read.rotated || read.truncated;
      }
      if (monitor_) {
        const std::optional<dbhealth::DbStatus> status = monitor_->latest();
        if (status && status->up && status->digests_available && status->t_ns > last_digest_t_ns_) {
          analyzer_.add_digests(dbhealth::digest_snapshot(*status));
          last_digest_t_ns_ = status->t_ns;
          changed = true;
        }
      }
      if (changed || !saved_once_) save_state();
    }
    ++rounds_;
    if (history_) feed_history();
  }

  static std::string analysis_state_path(const config::AccountingDb& settings) {
    return settings.slow_log_state.empty() ? "" : settings.slow_log_state + ".analysis";
  }

  // The analysis with the slow log's position it covers and the last digest reading: one file,
  // so that after a crash the follower resumes exactly where this analysis stopped.
  void save_state() {
    if (state_path_.empty()) return;
    nlohmann::json state = {{"analysis", analyzer_.save()}, {"last_digest_t_ns", last_digest_t_ns_}};
    if (follower_) {
      const auto& p = follower_->position();
      state["slow_log"] = {{"path", settings_.slow_log}, {"device", p.device},       {"inode", p.inode},
                           {"offset", p.offset},         {"head_hash", p.head_hash}, {"head_bytes", p.head_bytes},
                           {"entries", p.entries},       {"malformed", p.malformed}};
    }
    std::string error;
    // Statements may hold bytes that are not UTF-8 (a job name): replaced, never a throw.
    if (!write_atomically(state_path_, state.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), error))
      log_.once("db-analysis-save:" + state_path_, "accounting database analysis: " + error +
                                                       " (a restart will start the statistics again)");
    saved_once_ = true;
  }

  void load_state() {
    if (state_path_.empty()) return;
    std::ifstream in(state_path_);
    if (!in) return;
    try {
      const nlohmann::json state = nlohmann::json::parse(in);
      analyzer_.load(state.at("analysis"));
      last_digest_t_ns_ = state.value("last_digest_t_ns", std::int64_t{0});
      if (follower_ && state.contains("slow_log") && state["slow_log"].value("path", "") == settings_.slow_log) {
        const auto& s = state["slow_log"];
        dbhealth::FollowerPosition p;
        p.device = s.at("device").get<std::uint64_t>();
        p.inode = s.at("inode").get<std::uint64_t>();
        p.offset = s.at("offset").get<std::uint64_t>();
        p.head_hash = s.at("head_hash").get<std::uint64_t>();
        p.head_bytes = s.at("head_bytes").get<std::uint64_t>();
        p.entries = s.at("entries").get<std::uint64_t>();
        p.malformed = s.at("malformed").get<std::uint64_t>();
        follower_->resume_at(p);
      }
      log_.info("accounting database analysis: restored " + std::to_string(analyzer_.fingerprints().size()) +
                " fingerprints (" + std::to_string(analyzer_.entries()) + " slow-log entries) from " + state_path_);
    } catch (const std::exception& e) {
      analyzer_ = dbhealth::Analyzer(settings_);
      log_.warning("accounting database analysis " + state_path_ + ": unreadable (" + e.what() +
                   "); starting the statistics again");
    }
  }

  // Per top fingerprint: executions and statement seconds per second since the last round, p95
  // latency, total time; the others summed under fingerprint="other"; the follower's totals.
  void feed_history() {
    const std::int64_t t = now_ns();
    std::vector<history::Write> batch;
    std::lock_guard lock(mutex_);
    auto add = [&](const std::string& metric, const history::Labels& labels, double value) {
      if (std::isfinite(value)) batch.push_back({history_->series(metric, labels), t, value});
    };
    const history::Labels base{{"cluster", cluster_}};
    if (follower_) {
      add("db.slowlog_entries", base, static_cast<double>(follower_->position().entries));
      add("db.slowlog_malformed", base, static_cast<double>(follower_->position().malformed));
    }
    const double elapsed = last_t_ ? static_cast<double>(t - last_t_) / 1e9 : 0;
    const auto top = top_ids();
    double other_rate = 0, other_time_rate = 0, other_total = 0;
    bool other_known = elapsed > 0;
    std::unordered_map<std::string, Last> next;
    for (const auto& [id, s] : analyzer_.fingerprints()) {
      const Last now{dbhealth::executions(s), dbhealth::total_time_s(s), s.digest.has_value()};
      const auto before = last_.find(id);
      // A rate needs the same source both times (a digest appearing is not a burst).
      const bool comparable = elapsed > 0 && before != last_.end() && before->second.digest == now.digest &&
                              now.count >= before->second.count;
      const double rate = comparable ? static_cast<double>(now.count - before->second.count) / elapsed : 0;
      const double time_rate = comparable ? std::max(0.0, now.total - before->second.total) / elapsed : 0;
      next[id] = now;
      if (!top.contains(id)) {
        // New fingerprints (no previous point) count from zero; a changed source is skipped.
        if (before == last_.end() && elapsed > 0) {
          other_rate += static_cast<double>(now.count) / elapsed;
          other_time_rate += now.total / elapsed;
        } else {
          other_rate += rate;
          other_time_rate += time_rate;
        }
        other_total += now.total;
        continue;
      }
      const history::Labels labels{{"cluster", cluster_}, {"fingerprint", id}};
      if (comparable) {
        add("db.fingerprint_rate", labels, rate);
        add("db.fingerprint_time_rate", labels, time_rate);
      }
      const bool exact = s.count > 0 || !s.digest;
      add("db.fingerprint_p95_s", labels, (exact ? s.latency : s.digest->latency).quantile(0.95));
      add("db.fingerprint_total_time_s", labels, now.total);
    }
    const history::Labels other{{"cluster", cluster_}, {"fingerprint", kOther}};
    if (other_known) {
      add("db.fingerprint_rate", other, other_rate);
      add("db.fingerprint_time_rate", other, other_time_rate);
    }
    add("db.fingerprint_total_time_s", other, other_total);
    last_ = std::move(next);
    last_t_ = t;
    history_->append(batch);
  }

  struct Last {
    std::uint64_t count = 0;
    double total = 0;
    bool digest = false;
  };

  config::AccountingDb settings_;
  std::string cluster_;
  history::Store* history_;
  const dbhealth::DbMonitor* monitor_;
  Log& log_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::atomic<std::uint64_t> rounds_{0};
  dbhealth::Analyzer analyzer_;
  std::optional<dbhealth::SlowLogFollower> follower_;
  std::string state_path_;
  std::int64_t last_digest_t_ns_ = 0;
  bool saved_once_ = false;
  std::unordered_map<std::string, Last> last_;
  std::int64_t last_t_ = 0;
  std::thread thread_;
};

}  // namespace

std::unique_ptr<SlowLogCollector> start_slowlog_collector(const config::AccountingDb& settings,
                                                          const std::string& cluster, history::Store* history,
                                                          Log& log, const dbhealth::DbMonitor* monitor) {
  if (!settings.enabled || (settings.slow_log.empty() && !monitor)) return nullptr;
  log.info("accounting database: statement statistics every " + std::to_string(static_cast<int>(settings.interval_s)) +
           " s from " + (monitor ? std::string("performance_schema digests") : std::string()) +
           (monitor && !settings.slow_log.empty() ? " and " : "") +
           (settings.slow_log.empty() ? std::string() : "the slow log " + settings.slow_log) +
           (settings.slow_log_state.empty() ? "" : " (saved in " + settings.slow_log_state + ".analysis)"));
  return std::make_unique<Collector>(settings, cluster, history, monitor, log);
}

std::string db_fingerprints_prometheus_text(const SlowLogCollector* collector) {
  return collector ? collector->prometheus_text() : "";
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
