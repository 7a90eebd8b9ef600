// hpcmond head: the scheduler's RPC statistics (docs/scheduler.md).
// What it is: at scheduler.interval_s, one read of slurmctld's statistics (what `sdiag` shows:
// RPCs by type and by user with their times, server threads, agent queue, main and backfill
// scheduler cycles, job counts) and, when Slurm accounts through slurmdbd, one read of
// slurmdbd's (`sacctmgr show stats`), both through libslurm; rates per interval that never go
// negative across the daemons' resets; history series, /metrics families, alert samples and
// GET /api/v1/scheduler built from the latest view.
// What it owns: the RPC id -> name tables of Slurm 22.05 and the reset-proof accumulation.
// What it must never do: send more than one statistics RPC per daemon and interval (its own
// RPCs are counted and shown), reset Slurm's statistics, or block the API on libslurm.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hpcmon/alerts/engine.hpp"
#include "hpcmon/config.hpp"
#include "hpcmon/head/log.hpp"

namespace hpcmon::history {
class Store;
}

namespace hpcmon::head {

// slurm_msg_type_t / slurmdbd_msg_type_t id -> name ("REQUEST_SUBMIT_BATCH_JOB"); an id the
// table does not know is returned as its number ("65000").
std::string controller_rpc_name(std::uint32_t id);
std::string dbd_rpc_name(std::uint32_t id);

// Cumulative counters as a daemon reports them: calls and their total time (µs).
struct RpcCounter {
  std::uint64_t count = 0;
  std::uint64_t time_us = 0;
};

// One read of one daemon's statistics, as libslurm returns it.
struct DaemonReading {
  std::int64_t t_ns = 0;    // when it was read (this daemon's clock, ns since the epoch)
  std::int64_t since_s = 0; // the daemon's "Data since" (req_time_start, time_start)
  std::map<std::uint32_t, RpcCounter> types;  // by RPC id
  std::map<std::uint32_t, RpcCounter> users;  // by uid
  std::map<std::string, double> gauges;       // levels: agent_queue_size, bf_last_cycle_s, ...
  std::map<std::string, std::uint64_t> counters;  // cumulative: jobs_submitted, bf_cycles, ...
};

// One RPC type or one user in a view.
struct RpcFigures {
  std::uint32_t id = 0;
  std::string name;
  std::uint64_t count = 0;     // the daemon's own counter since its "Data since" (as sdiag)
  std::uint64_t time_us = 0;
  std::uint64_t total = 0;     // calls since hpcmond started reading, across resets (never falls)
  double total_time_s = 0;
  std::uint64_t interval_count = 0;  // calls in the last interval
  double rate_per_s = 0;             // interval_count / interval
  std::optional<double> interval_latency_s;  // mean time per call in the last interval
  double mean_latency_s = 0;                 // time_us / count
  double share = 0;                          // of every call in the last interval
};

struct CounterFigures {
  std::uint64_t value = 0;  // the daemon's counter
  std::uint64_t total = 0;  // accumulated across resets
  double rate_per_s = 0;
};

// A daemon's statistics with the rates of the interval since the previous read.
struct DaemonView {
  std::string daemon;        // slurmctld, slurmdbd
  std::int64_t t_ns = 0;
  std::int64_t since_s = 0;
  double interval_s = 0;     // 0 on the first read: no rates yet
  bool reset = false;        // the daemon's counters restarted in this interval
  std::uint64_t resets = 0;  // resets seen since hpcmond started
  std::vector<RpcFigures> types;  // most calls first
  std::vector<RpcFigures> users;
  std::map<std::string, double> gauges;
  std::map<std::string, CounterFigures> counters;
};

// Turns successive readings into views. A reset (the "Data since" time changed, or any
// counter went down: `sdiag -r`, midnight UTC, a restart) makes that interval's increase the
// new value alone, so no rate is ever negative; the calls between the previous read and the
// reset are not known and not counted.
class RateTracker {
 public:
  RateTracker(std::string daemon, std::function<std::string(std::uint32_t)> type_name,
              std::function<std::string(std::uint32_t)> user_name);
  DaemonView update(const DaemonReading& reading);

 private:
  struct Accumulated {
    std::uint64_t count = 0, time_us = 0;
  };
  std::vector<RpcFigures> figures(const std::map<std::uint32_t, RpcCounter>& now,
                                  const std::map<std::uint32_t, RpcCounter>* before,
                                  std::map<std::uint32_t, Accumulated>& accumulated, bool reset,
                                  double interval_s, const std::function<std::string(std::uint32_t)>& name);
  std::string daemon_;
  std::function<std::string(std::uint32_t)> type_name_, user_name_;
  std::optional<DaemonReading> previous_;
  std::map<std::uint32_t, Accumulated> type_totals_, user_totals_;
  std::map<std::string, std::uint64_t> counter_totals_;
  std::uint64_t resets_ = 0;
};

// What the API, /metrics, history and alerts read: the latest views of both daemons.
struct SchedulerView {
  std::string cluster;
  std::int64_t collected_ns = 0;
  double interval_s = 0;           // scheduler.interval_s
  std::optional<DaemonView> controller;
  std::string controller_error;    // why the last read failed ("" when it worked)
  std::optional<DaemonView> dbd;
  std::string dbd_status;          // "ok", "not configured (...)", "disabled ...", or the error
  std::uint64_t collections = 0;
  std::uint64_t errors = 0;
  std::uint64_t controller_rpcs = 0;  // RPCs this collector sent to slurmctld
  std::uint64_t dbd_rpcs = 0;         // and to slurmdbd (connect, stats, close)
  double last_cost_us = 0;            // read, rates and store of the last collection
};

// Reads both daemons at each collect_once(); the daemon calls it from its own thread.
class SchedulerCollector {
 public:
  // Slurm must already be initialised (SlurmCollector::connect); `store` may be null.
  SchedulerCollector(const config::Scheduler& settings, std::string cluster, history::Store* store, Log& log);
  void collect_once();
  std::shared_ptr<const SchedulerView> latest() const;
  const config::Scheduler& settings() const { return settings_; }

 private:
  config::Scheduler settings_;
  std::string cluster_;
  history::Store* store_;
  Log& log_;
  bool dbd_configured_ = false;
  std::string dbd_status_;
  std::string dbd_last_error_;
  int dbd_backoff_ = 0, dbd_skip_ = 0;  // intervals without a slurmdbd read after failures
  RateTracker controller_, dbd_;
  std::uint64_t collections_ = 0, errors_ = 0, controller_rpcs_ = 0, dbd_rpcs_ = 0;
  mutable std::mutex mutex_;
  std::shared_ptr<const SchedulerView> latest_;
};

// Reads through libslurm; nothing and `error` set when the daemon did not answer.
std::optional<DaemonReading> read_controller_stats(std::string& error);
std::optional<DaemonReading> read_dbd_stats(std::string& error);

// GET /api/v1/scheduler's data (docs/api.md).
nlohmann::json scheduler_json(const SchedulerView& view);
// The hpcmon_scheduler_* families of /metrics.
std::string scheduler_exposition(const SchedulerView& view);
// History series of one collection (docs/scheduler.md), appended to `store`.
void store_scheduler_view(history::Store& store, const SchedulerView& view);
// The samples of the built-in scheduler rules (docs/alerting.md).
std::vector<alerts::Sample> scheduler_samples(const SchedulerView& view, const config::Scheduler& settings);

}  // namespace hpcmon::head
