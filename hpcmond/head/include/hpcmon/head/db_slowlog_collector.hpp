// The head's slow-log collector: follows the accounting database's slow log
// (accounting_db.slow_log) on a thread of its own, feeds the dbhealth analysis (fingerprints,
// patterns, index suggestions) and history (per-fingerprint rates and latency), and serves
// GET /api/v1/db. Never connects to the database (db_connections.hpp does).
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
};

// Null when accounting_db.enabled is false or accounting_db.slow_log is empty.
std::unique_ptr<SlowLogCollector> start_slowlog_collector(const config::AccountingDb& settings,
                                                          const std::string& cluster, history::Store* history,
                                                          Log& log);

// GET /api/v1/db: the slow-log analysis and, beside it, the connection health of
// db_connections.hpp (administrators only: statements name users' jobs).
void register_db_routes(Router& router, const SlowLogCollector* slowlog, const dbhealth::DbMonitor* monitor);

}  // namespace hpcmon::head
