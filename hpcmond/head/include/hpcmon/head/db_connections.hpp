// The accounting database's connection health in the head daemon: the reading thread of
// dbhealth/mariadb (DbMonitor, its own thread and timeouts: a slow or unreachable database never
// delays the head's other work) built from the accounting_db section; GET /api/v1/db/connections
// (admins only: it names the database's clients); the hpcmon_db_* lines of /metrics; history
// series db.up, db.connections_used, db.max_connections, db.threads_running,
// db.aborted_connects and db.client_connections{client="user@host"} (docs/accounting-db.md).
#pragma once

#include <memory>
#include <string>

#include "hpcmon/config.hpp"
#include "hpcmon/head/http.hpp"
#include "hpcmon/head/log.hpp"

namespace hpcmon::dbhealth {
class DbMonitor;  // hpcmon/dbhealth/db_monitor.hpp
}
namespace hpcmon::history {
class Store;
}

namespace hpcmon::head {

// Null when accounting_db.enabled is false; else a started monitor feeding `history` (may be null).
std::unique_ptr<dbhealth::DbMonitor> start_db_monitor(const config::AccountingDb& settings, const std::string& cluster,
                                                      history::Store* history, Log& log);
// GET /api/v1/db/connections: 503 when the monitor is null (accounting_db.enabled false).
void register_db_connection_routes(Router& router, const dbhealth::DbMonitor* monitor);
// hpcmon_db_up and, while it is up, the connection gauges ("" without a monitor).
std::string db_connections_prometheus_text(const dbhealth::DbMonitor* monitor, const std::string& cluster);

}  // namespace hpcmon::head
