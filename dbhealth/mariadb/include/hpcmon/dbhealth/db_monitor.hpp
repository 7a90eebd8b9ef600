// The accounting database's health over time, read on a thread of its own so that a slow or
// unreachable server never delays the head's other work: one reading per interval
// (db_status.hpp), the connection kept between readings and reopened after a failure.
// Unreachable server, wrong password, missing privilege: one log line when the state starts
// (never the password), one when it ends; meanwhile every reading says db_up 0.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "hpcmon/dbhealth/db_status.hpp"

namespace hpcmon::dbhealth {

struct MonitorOptions {
  double interval_s = 30;
  ReadOptions read;
  std::size_t history_points = 240;  // readings kept for the connections-over-time view
};

class DbMonitor {
 public:
  using LogLine = std::function<void(const std::string&)>;
  using Sink = std::function<void(const DbStatus&)>;  // after each reading, on the monitor thread

  DbMonitor(Endpoint endpoint, MonitorOptions options, LogLine log, Sink sink = {});
  ~DbMonitor();  // stops the thread
  DbMonitor(const DbMonitor&) = delete;
  DbMonitor& operator=(const DbMonitor&) = delete;

  void start();               // reads now, then every interval, on its own thread
  void stop();
  DbStatus collect_once();    // one reading on the caller's thread (the thread's work)
  std::optional<DbStatus> latest() const;  // nothing before the first reading

  struct Point {  // a reading's counters, for the view over time
    std::int64_t t_ns = 0;
    bool up = false;
    std::int64_t connections_used = 0, max_connections = 0, threads_running = 0, aborted_connects = 0;
  };
  std::vector<Point> history() const;
  // GET /api/v1/db/connections: the latest reading (db_status.hpp's JSON) plus "history".
  nlohmann::json to_json() const;
  const Endpoint& endpoint() const { return endpoint_; }

 private:
  void loop();
  void note_state(const DbStatus& status);
  Endpoint endpoint_;
  MonitorOptions options_;
  LogLine log_;
  Sink sink_;
  std::optional<Connection> connection_;  // used by the collecting thread only
  std::string logged_state_;              // the state last logged ("" = healthy)
  std::mutex collect_mutex_;              // one reading at a time
  mutable std::mutex mutex_;
  std::optional<DbStatus> latest_;
  std::deque<Point> history_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace hpcmon::dbhealth
