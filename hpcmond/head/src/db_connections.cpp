// The accounting database's connection health in the head (db_connections.hpp).
#include "hpcmon/head/db_connections.hpp"

#include <cmath>
#include <cstdio>

#include "hpcmon/dbhealth/db_monitor.hpp"
#include "hpcmon/history.hpp"

namespace hpcmon::head {
namespace {

// The database may be slow or away: connecting and each statement give up after these.
constexpr double kConnectTimeoutS = 5;
constexpr double kReadTimeoutS = 10;

std::string label_value(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') out += "\\n";
    else out += c;
  }
  return out;
}

void feed_history(history::Store& store, const std::string& cluster, const dbhealth::DbStatus& status) {
  const history::Labels labels{{"cluster", cluster}};
  std::vector<history::Write> batch;
  auto add = [&](const std::string& metric, const history::Labels& l, double value) {
    if (std::isfinite(value)) batch.push_back({store.series(metric, l), status.t_ns, value});
  };
  add("db.up", labels, status.up ? 1 : 0);
  if (status.up) {
    add("db.connections_used", labels, static_cast<double>(status.threads_connected));
    add("db.max_connections", labels, static_cast<double>(status.max_connections));
    add("db.threads_running", labels, static_cast<double>(status.threads_running));
    add("db.aborted_connects", labels, static_cast<double>(status.aborted_connects));
    for (const auto& client : status.clients)
      add("db.client_connections", {{"cluster", cluster}, {"client", client.user + "@" + client.host}},
          static_cast<double>(client.connections));
  }
  store.append(batch);
}

}  // namespace

std::unique_ptr<dbhealth::DbMonitor> start_db_monitor(const config::AccountingDb& settings, const std::string& cluster,
                                                      history::Store* history, Log& log) {
  if (!settings.enabled) return nullptr;
  dbhealth::Endpoint endpoint;
  endpoint.host = settings.host;
  endpoint.port = static_cast<int>(settings.port);
  endpoint.socket = settings.socket;
  endpoint.user = settings.user;
  endpoint.password_file = settings.password_file;
  endpoint.connect_timeout_s = std::min(kConnectTimeoutS, settings.interval_s);
  endpoint.read_timeout_s = std::min(kReadTimeoutS, settings.interval_s);
  dbhealth::MonitorOptions options;
  options.interval_s = settings.interval_s;
  options.read.digest_schema = settings.database;
  options.read.top_digests = static_cast<std::size_t>(settings.top_fingerprints);
  options.history_points = static_cast<std::size_t>(std::max(2.0, 3600 / settings.interval_s));
  dbhealth::DbMonitor::Sink sink;
  if (history)
    sink = [history, cluster](const dbhealth::DbStatus& status) { feed_history(*history, cluster, status); };
  auto monitor = std::make_unique<dbhealth::DbMonitor>(
      endpoint, options, [&log](const std::string& line) { log.warning(line); }, sink);
  log.info("accounting database: reading " + endpoint.describe() + " every " +
           std::to_string(static_cast<int>(settings.interval_s)) + " s");
  monitor->start();
  return monitor;
}

void register_db_connection_routes(Router& router, const dbhealth::DbMonitor* monitor) {
  router.get("/api/v1/db/connections", [monitor](const Request& request) -> Outcome {
    if (!monitor) return ApiError{ErrorType::unavailable, "accounting database watching is off (accounting_db.enabled: false)", ""};
    if (!request.sees_all)
      return ApiError{ErrorType::forbidden, "the database's clients are shown to administrators only", ""};
    return monitor->to_json();
  });
}

std::string db_connections_prometheus_text(const dbhealth::DbMonitor* monitor, const std::string& cluster) {
  if (!monitor) return "";
  const auto status = monitor->latest();
  if (!status) return "";
  const std::string l = "{cluster=\"" + label_value(cluster) + "\"}";
  std::string out = "# HELP hpcmon_db_up 1 when the head reached the accounting database at its last reading.\n"
                    "# TYPE hpcmon_db_up gauge\nhpcmon_db_up" + l + " " + (status->up ? "1" : "0") + "\n";
  if (!status->up) return out;
  auto gauge = [&](const char* name, const char* help, const char* type, std::int64_t value) {
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + name + l + " " +
           std::to_string(value) + "\n";
  };
  gauge("hpcmon_db_connections_used", "Connections open on the accounting database server.", "gauge",
        status->threads_connected);
  gauge("hpcmon_db_max_connections", "The server's max_connections.", "gauge", status->max_connections);
  gauge("hpcmon_db_threads_running", "Connections running a statement.", "gauge", status->threads_running);
  gauge("hpcmon_db_aborted_connects_total", "Failed connection attempts since the server started.", "counter",
        status->aborted_connects);
  out += "# HELP hpcmon_db_client_connections Connections per database client (user@host).\n"
         "# TYPE hpcmon_db_client_connections gauge\n";
  for (const auto& client : status->clients)
    out += "hpcmon_db_client_connections{cluster=\"" + label_value(cluster) + "\",client=\"" +
           label_value(client.user + "@" + client.host) + "\"} " + std::to_string(client.connections) + "\n";
  return out;
}

}  // namespace hpcmon::head
