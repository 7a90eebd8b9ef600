// The head's statement collector: on a thread of its own, follows the accounting database's
// slow log (accounting_db.slow_log) and takes the performance_schema digests that the
// connection monitor (db_connections.hpp) read, into one dbhealth analysis (fingerprints,
// patterns, index suggestions); saves it beside the slow log's position
// (accounting_db.slow_log_state + ".analysis", atomically) and restores it at start; feeds history
// (per-fingerprint rates and latency, top K + "other") and /metrics; serves GET /api/v1/db.
// Never connects to the database itself.
#pragma once

#include "hpcmon/config.hpp"
#include "hpcmon/head/http.hpp"
#include "hpcmon/head/log.hpp"

#include <nlohmann/json.hpp>

#include <memory>
#include <string>

namespace hpcmon::history {
class Store;
}
namespace hpcmon::dbhealth {
class DbMonitor;
}

namespace hpcmon::head {

class SlowLogCollector {
 public:
  virtual ~SlowLogCollector() = default;
  // {slow_log: {path, offset, entries, malformed, rounds}, entries, fingerprints, findings, suggestions}
  virtual nlohmann::json to_json() const = 0;
  // Rounds done so far (tests wait on it).
  virtual std::uint64_t rounds() const = 0;
  // The hpcmon_db_fingerprint_* families of /metrics (label fingerprint: the id, never the SQL).
  virtual std::string prometheus_text() const = 0;
};

// Null when accounting_db.enabled is false, or when there is neither a slow log nor a monitor.
// `monitor` (may be null) gives the digests; it must outlive the collector.
std::unique_ptr<SlowLogCollector> start_slowlog_collector(const config::AccountingDb& settings,
                                                          const std::string& cluster, history::Store* history,
                                                          Log& log, const dbhealth::DbMonitor* monitor = nullptr);
// "" without a collector.
std::string db_fingerprints_prometheus_text(const SlowLogCollector* collector);

// GET /api/v1/db: the slow-log analysis and, beside it, the connection health of
// db_connections.hpp (administrators only: statements name users' jobs).
void register_db_routes(Router& router, const SlowLogCollector* slowlog, const dbhealth::DbMonitor* monitor);

}  // namespace hpcmon::head
