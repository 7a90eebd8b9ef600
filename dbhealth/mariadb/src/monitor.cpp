// The health reader's thread and its state log (db_monitor.hpp).
#include "hpcmon/dbhealth/db_monitor.hpp"

namespace hpcmon::dbhealth {

DbMonitor::DbMonitor(Endpoint endpoint, MonitorOptions options, LogLine log, Sink sink)
    : endpoint_(std::move(endpoint)), options_(std::move(options)), log_(std::move(log)), sink_(std::move(sink)) {}

DbMonitor::~DbMonitor() { stop(); }

void DbMonitor::start() {
  std::lock_guard lock(mutex_);
  if (thread_.joinable()) return;
  stopping_ = false;
  thread_ = std::thread([this] { loop(); });
}

void DbMonitor::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void DbMonitor::loop() {
  std::unique_lock lock(mutex_);
  while (!stopping_) {
    lock.unlock();
    collect_once();
    lock.lock();
    wake_.wait_for(lock, std::chrono::duration<double>(options_.interval_s), [this] { return stopping_; });
  }
}

DbStatus DbMonitor::collect_once() {
  std::lock_guard collecting(collect_mutex_);
  DbStatus status;
  try {
    if (!connection_) connection_.emplace(Connection::open(endpoint_));
    status = read_status(*connection_, options_.read);
  } catch (const DbError& error) {
    connection_.reset();  // reopened at the next reading
    status = DbStatus{};
    status.t_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
    status.failure = error.failure();
    status.error = error.what();
  }
  note_state(status);
  {
    std::lock_guard lock(mutex_);
    latest_ = status;
    history_.push_back({status.t_ns, status.up, status.threads_connected, status.max_connections,
                        status.threads_running, status.aborted_connects});
    while (history_.size() > options_.history_points) history_.pop_front();
  }
  if (sink_) sink_(status);
  return status;
}

// One line when a state starts and one when it ends, not one per reading.
void DbMonitor::note_state(const DbStatus& status) {
  std::string state;
  std::string line;
  if (!status.up) {
    state = std::string(failure_name(status.failure));
    line = "accounting database " + std::string(failure_name(status.failure)) + ": " + status.error;
  } else if (!status.missing_privileges.empty()) {
    state = "privileges";
    for (const auto& p : status.missing_privileges) state += ":" + p;
    line = "accounting database account " + endpoint_.describe() + " lacks";
    for (std::size_t i = 0; i < status.missing_privileges.size(); ++i)
      line += (i ? ", " : " ") + status.missing_privileges[i];
    line += " (docs/accounting-db.md: the monitor's GRANT statements); readings are partial";
  }
  if (state == logged_state_) return;
  if (state.empty()) line = "accounting database " + endpoint_.describe() + " reachable again";
  if (log_ && !(state.empty() && logged_state_.empty())) log_(line);
  logged_state_ = state;
}

std::optional<DbStatus> DbMonitor::latest() const {
  std::lock_guard lock(mutex_);
  return latest_;
}

std::vector<DbMonitor::Point> DbMonitor::history() const {
  std::lock_guard lock(mutex_);
  return {history_.begin(), history_.end()};
}

nlohmann::json DbMonitor::to_json() const {
  std::lock_guard lock(mutex_);
  nlohmann::json out = latest_ ? dbhealth::to_json(*latest_) : nlohmann::json{{"db_up", 0}, {"error", "no reading yet"}};
  out["endpoint"] = endpoint_.describe();
  out["interval_s"] = options_.interval_s;
  nlohmann::json points = nlohmann::json::array();
  for (const auto& p : history_)
    points.push_back({{"t_ns", p.t_ns},
                      {"db_up", p.up ? 1 : 0},
                      {"connections_used", p.connections_used},
                      {"max_connections", p.max_connections},
                      {"threads_running", p.threads_running},
                      {"aborted_connects", p.aborted_connects}});
  out["history"] = points;
  return out;
}

}  // namespace hpcmon::dbhealth
