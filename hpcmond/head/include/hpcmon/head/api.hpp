// The REST API of the head daemon: one function registers every route. Handlers return
// data or a typed error (http.hpp); they read collectors passed in Services, never globals.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hpcmon/config.hpp"
#include "hpcmon/head/access.hpp"
#include "hpcmon/head/agent_store.hpp"
#include "hpcmon/head/http.hpp"
#include "hpcmon/head/record_index.hpp"
#include "hpcmon/head/system_collector.hpp"

namespace hpcmon::history {
class Store;  // hpcmon/history.hpp
}
namespace hpcmon::dbhealth {
class DbMonitor;  // hpcmon/dbhealth/db_monitor.hpp
}

namespace hpcmon::head {

class Alerting;  // api_alerts.hpp
class LiveDiagnosis;  // live_diagnosis.hpp
class SchedulerCollector;  // scheduler_stats.hpp
class SlowLogCollector;  // db_slowlog_collector.hpp

// What the Slurm collector offers the API (null when Slurm is not reachable).
class ClusterView {
 public:
  virtual ~ClusterView() = default;
  virtual std::string cluster() const = 0;
  virtual nlohmann::json nodes() const = 0;       // array
  virtual nlohmann::json partitions() const = 0;  // array
  // Running and pending jobs, each with "job", "user", "state", "start", "submit", ...
  virtual nlohmann::json active_jobs() const = 0;
  virtual std::uint64_t rpc_count() const = 0;
  virtual std::int64_t last_update_ns() const = 0;
};

struct Services {
  std::string node;     // this head's node name
  std::string cluster;  // Slurm's ClusterName, else "local"
  SystemCollector& system;
  RecordIndex& records;
  const ClusterView* slurm = nullptr;
  AgentStore* agents = nullptr;  // pushes of node agents; null: the push endpoint is 503
  // The current access policy; replaced on SIGHUP reload.
  std::shared_ptr<const Access> access;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
  const std::atomic<std::uint64_t>* requests = nullptr;
  history::Store* history = nullptr;  // null: history.enabled is false (api_history.hpp)
  Alerting* alerting = nullptr;  // null: alerting.enabled is false
  const LiveDiagnosis* live = nullptr;  // null: diagnosis.live_interval_s is 0 (live_diagnosis.hpp)
  const SchedulerCollector* scheduler = nullptr;  // null: no Slurm, or scheduler.enabled is false
  const dbhealth::DbMonitor* db = nullptr;  // null: accounting_db.enabled is false (db_connections.hpp)
  // Statement fingerprints from digests and the slow log (db_slowlog_collector.hpp); null: off.
  const SlowLogCollector* db_statements = nullptr;
};

// Every read and human route of docs/api.md (the API listener). `services` must outlive
// the router.
void register_routes(Router& router, Services& services);

// The agents' listener: POST /api/v1/agent/push only, agent-scoped token.
void register_agent_routes(Router& router, Services& services);

// Empty when the agents' listener may start as configured, else one line saying why not:
// off loopback it must serve HTTPS, and it must not share the API's address and port.
std::string agent_listener_problem(const config::Api& api);

// The Prometheus text exposition of /metrics (cluster and node labels only).
std::string prometheus_text(const Services& services);

}  // namespace hpcmon::head
