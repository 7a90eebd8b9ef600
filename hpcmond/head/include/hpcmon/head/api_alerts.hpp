// Alerting in the head daemon: the alert engine (hpcmond/alerts) fed from the head's own
// collectors, evaluated on its own thread, and its API (GET /api/v1/alerts, POST
// /api/v1/alerts/acknowledge) and /metrics lines (hpcmon_alerts{alertname,severity,state}).
// Why the head's collectors and not the history store: every built-in rule needs the
// latest value only, and the agent pushes, Slurm's node states and the record index are
// in memory here already; the engine sees them through hpcmon::alerts::MetricSource.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <memory>
#include <string>
#include <thread>

#include "hpcmon/alerts/channels.hpp"
#include "hpcmon/alerts/engine.hpp"
#include "hpcmon/config.hpp"
#include "hpcmon/head/api.hpp"
#include "hpcmon/head/log.hpp"

namespace hpcmon::head {

// Samples from the head: its own /proc (node = the head's name), the agents' pushes, Slurm's
// node states and finished jobs, the record index. Metric names in docs/alerting.md.
class HeadMetricSource final : public alerts::MetricSource {
 public:
  HeadMetricSource(const config::Config& config, const Services& services);
  std::vector<alerts::Sample> collect(std::int64_t now_ns) override;
  // The alerting settings of a reloaded configuration (node_down_intervals, record_missing_after_s).
  void reconfigure(const config::Config& config);

 private:
  struct StepRate {
    std::int64_t t_ns = 0;
    double cpu_s = 0;
    std::optional<double> cores;
  };
  struct SlurmJob {
    std::string node_list;
    bool monitored = false;   // an agent reported one of its steps, or its node has an agent
    std::int64_t ended_ns = 0;  // 0 while Slurm lists it as active
  };
  void head_samples(std::int64_t now_ns, std::vector<alerts::Sample>& out);
  void agent_samples(std::int64_t now_ns, std::vector<alerts::Sample>& out);
  void record_samples(std::int64_t now_ns, std::vector<alerts::Sample>& out);
  const Services& services_;
  std::atomic<std::int64_t> silent_after_ns_{0};  // set by reconfigure on another thread
  std::atomic<std::int64_t> record_after_ns_{0};
  std::map<std::string, StepRate> rates_;      // node/job/step
  std::map<std::string, SlurmJob> slurm_jobs_;  // job id (record-key form)
  std::map<std::string, std::int64_t> agent_heard_;  // node -> the head's clock at its last push
  std::set<std::string> agent_jobs_;
};

// The engine, its channels and its evaluation thread.
class Alerting {
 public:
  // Loads the state file (a bad one is logged and replaced), starts evaluating.
  Alerting(const config::Config& config, Services& services, Log& log);
  ~Alerting();  // stops the evaluation thread, then the channels
  alerts::Engine& engine() { return *engine_; }
  const alerts::Dispatcher& channels() const { return *dispatcher_; }
  // Rules and thresholds of a configuration already read and checked (SIGHUP: head.cpp):
  // alerts of rules that still exist keep their state (Engine::replace_rules). Channels, the
  // state file and the evaluation interval stay as they started.
  void apply(const config::Config& fresh);
  // Reads the daemon's configuration file again and applies it; on an error (logged with
  // file, line and key) the running rules stay and the error is returned, else "".
  std::string reload();

 private:
  void loop(double interval_s);
  Log& log_;
  std::string source_file_;
  std::mutex reload_mutex_;
  std::unique_ptr<alerts::Dispatcher> dispatcher_;
  std::unique_ptr<HeadMetricSource> source_;
  std::unique_ptr<alerts::Engine> engine_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

// GET /api/v1/alerts and POST /api/v1/alerts/acknowledge; without alerting (disabled) the
// list is empty and every acknowledgement is 404.
void register_alert_routes(Router& router, Services& services);

// hpcmon_alerts{cluster,alertname,severity,state}: the count of pending and firing alerts.
// (Channel delivery counters are in health: their channel label would not fit the
// cluster/node/device label scheme of /metrics.)
std::string alerts_prometheus_text(const Services& services);

// {"firing":N,"pending":N} for health and /api/v1/metrics/hpc (null without alerting).
nlohmann::json alerts_summary(const Services& services);

}  // namespace hpcmon::head
