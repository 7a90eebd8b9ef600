// One reading of server status, PROCESSLIST and statement digests (db_status.hpp).
#include "hpcmon/dbhealth/db_status.hpp"

#include <algorithm>
#include <chrono>
#include <map>

namespace hpcmon::dbhealth {
namespace {

std::int64_t to_int(const std::optional<std::string>& text) {
  if (!text || text->empty()) return 0;
  try {
    return std::stoll(*text);
  } catch (...) {
    return 0;
  }
}

std::uint64_t to_uint(const std::optional<std::string>& text) {
  if (!text || text->empty()) return 0;
  try {
    return std::stoull(*text);
  } catch (...) {
    return 0;
  }
}

constexpr double kPicoseconds = 1e12;  // performance_schema timers

// A statement the account may not run: its part stays empty and the privilege is named.
template <class Read>
bool readable(Read read, const std::string& privilege, DbStatus& status) {
  try {
    read();
    return true;
  } catch (const DbError& error) {
    if (error.failure() != Failure::missing_privilege) throw;
    status.missing_privileges.push_back(privilege);
    return false;
  }
}

void read_counters(Connection& connection, DbStatus& status) {
  const auto variables = connection.query(
      "SELECT @@version, @@max_connections, @@max_user_connections, @@performance_schema, "
      "@@performance_schema_max_digest_length");
  const auto& v = variables.rows.at(0);
  status.server_version = v[0].value_or("");
  status.max_connections = to_int(v[1]);
  status.max_user_connections = to_int(v[2]);
  if (v.size() > 4 && to_int(v[4]) > 0) status.max_digest_length = to_int(v[4]);
  if (to_int(v[3]) == 0) status.digests_note = "performance_schema is OFF (performance_schema=ON in my.cnf, restart)";
  const auto counters = connection.query(
      "SHOW GLOBAL STATUS WHERE Variable_name IN ('Threads_connected','Threads_running',"
      "'Max_used_connections','Connections','Aborted_connects','Aborted_clients')");
  for (const auto& row : counters.rows) {
    const std::string name = row[0].value_or("");
    const std::int64_t value = to_int(row[1]);
    if (name == "Threads_connected") status.threads_connected = value;
    else if (name == "Threads_running") status.threads_running = value;
    else if (name == "Max_used_connections") status.max_used_connections = value;
    else if (name == "Connections") status.connections_total = value;
    else if (name == "Aborted_connects") status.aborted_connects = value;
    else if (name == "Aborted_clients") status.aborted_clients = value;
  }
}

void read_clients(Connection& connection, DbStatus& status) {
  // USER_PRIVILEGES lists the current account's global privileges only.
  const auto process = connection.query(
      "SELECT COUNT(*) FROM information_schema.USER_PRIVILEGES WHERE PRIVILEGE_TYPE='PROCESS'");
  status.sees_all_clients = to_int(process.rows.at(0)[0]) > 0;
  if (!status.sees_all_clients) status.missing_privileges.emplace_back("PROCESS");
  const auto list = connection.query(
      "SELECT USER, HOST, COMMAND, TIME FROM information_schema.PROCESSLIST "
      "WHERE COMMAND <> 'Daemon' AND USER <> 'system user'");
  std::map<std::pair<std::string, std::string>, ClientConnections> by_client;
  for (const auto& row : list.rows) {
    const std::string user = row[0].value_or("");
    const std::string host = client_host(row[1].value_or(""));
    auto& client = by_client[{user, host}];
    client.user = user;
    client.host = host;
    ++client.connections;
    if (row[2].value_or("") != "Sleep") ++client.active;
    client.longest_s = std::max(client.longest_s, to_int(row[3]));
  }
  for (auto& [key, client] : by_client) status.clients.push_back(std::move(client));
  std::stable_sort(status.clients.begin(), status.clients.end(),
                   [](const auto& a, const auto& b) { return a.connections > b.connections; });
}

void read_digests(Connection& connection, const ReadOptions& options, DbStatus& status) {
  std::string sql =
      "SELECT SCHEMA_NAME, DIGEST, DIGEST_TEXT, COUNT_STAR, SUM_TIMER_WAIT, AVG_TIMER_WAIT, MAX_TIMER_WAIT, "
      "SUM_ROWS_EXAMINED, SUM_ROWS_SENT, SUM_NO_INDEX_USED, FIRST_SEEN, LAST_SEEN, MIN_TIMER_WAIT, "
      "SUM_LOCK_TIME, UNIX_TIMESTAMP(FIRST_SEEN), UNIX_TIMESTAMP(LAST_SEEN) "
      "FROM performance_schema.events_statements_summary_by_digest";
  if (!options.digest_schema.empty()) sql += " WHERE SCHEMA_NAME = " + connection.quote(options.digest_schema);
  sql += " ORDER BY SUM_TIMER_WAIT DESC LIMIT " + std::to_string(options.max_digest_rows);
  const auto result = connection.query(sql);
  for (const auto& row : result.rows) {
    Digest d;
    d.schema = row[0].value_or("");
    d.digest = row[1].value_or("");
    d.text = row[2].value_or("");
    d.count = to_uint(row[3]);
    d.total_s = static_cast<double>(to_uint(row[4])) / kPicoseconds;
    d.avg_s = static_cast<double>(to_uint(row[5])) / kPicoseconds;
    d.max_s = static_cast<double>(to_uint(row[6])) / kPicoseconds;
    d.rows_examined = to_uint(row[7]);
    d.rows_sent = to_uint(row[8]);
    d.no_index_used = to_uint(row[9]);
    d.first_seen = row[10].value_or("");
    d.last_seen = row[11].value_or("");
    d.min_s = static_cast<double>(to_uint(row[12])) / kPicoseconds;
    d.lock_s = static_cast<double>(to_uint(row[13])) / kPicoseconds;
    d.first_seen_epoch = to_int(row[14]);
    d.last_seen_epoch = to_int(row[15]);
    status.digests.push_back(std::move(d));
  }
  status.digests_complete = status.digests.size() < options.max_digest_rows;
  status.digests_available = true;
}

}  // namespace

std::string client_host(const std::string& host) {
  if (!host.empty() && host.front() == '[') {
    const auto close = host.find(']');
    return close == std::string::npos ? host : host.substr(1, close - 1);
  }
  const auto colon = host.rfind(':');
  if (colon == std::string::npos || host.find(':') != colon) return host;  // none, or bare IPv6
  return host.substr(0, colon);
}

DbStatus read_status(Connection& connection, const ReadOptions& options) {
  const auto started = std::chrono::steady_clock::now();
  DbStatus status;
  status.t_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  status.top_digests = options.top_digests;
  read_counters(connection, status);
  readable([&] { read_clients(connection, status); }, "PROCESS", status);
  if (status.digests_note.empty()) {
    if (!readable([&] { read_digests(connection, options, status); }, "SELECT on performance_schema", status))
      status.digests_note = "the account may not read performance_schema (GRANT SELECT ON performance_schema.*)";
  }
  status.up = true;
  status.collect_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return status;
}

DigestSnapshot digest_snapshot(const DbStatus& status) {
  DigestSnapshot snapshot;
  snapshot.complete = status.digests_complete;
  snapshot.max_digest_length = static_cast<std::size_t>(std::max<std::int64_t>(status.max_digest_length, 1));
  snapshot.rows.reserve(status.digests.size());
  for (const auto& d : status.digests)
    snapshot.rows.push_back({d.schema, d.digest, d.text, d.count, d.total_s, d.min_s, d.max_s, d.lock_s,
                             d.rows_examined, d.rows_sent, d.no_index_used, d.first_seen_epoch, d.last_seen_epoch});
  return snapshot;
}

nlohmann::json to_json(const ClientConnections& c) {
  return {{"user", c.user}, {"host", c.host}, {"client", c.user + "@" + c.host},
          {"connections", c.connections}, {"active", c.active}, {"longest_s", c.longest_s}};
}

nlohmann::json to_json(const Digest& d) {
  return {{"schema", d.schema},        {"digest", d.digest},
          {"text", d.text},            {"count", d.count},
          {"total_s", d.total_s},      {"avg_s", d.avg_s},
          {"max_s", d.max_s},          {"rows_examined", d.rows_examined},
          {"rows_sent", d.rows_sent},  {"no_index_used", d.no_index_used},
          {"first_seen", d.first_seen}, {"last_seen", d.last_seen},
          {"min_s", d.min_s},          {"lock_time_s", d.lock_s}};
}

nlohmann::json to_json(const DbStatus& s) {
  nlohmann::json clients = nlohmann::json::array();
  for (const auto& c : s.clients) clients.push_back(to_json(c));
  nlohmann::json digests = nlohmann::json::array();
  for (const auto& d : s.digests) {
    if (digests.size() >= s.top_digests) break;  // the top by total time; the head's analysis has them all
    digests.push_back(to_json(d));
  }
  return {{"t_ns", s.t_ns},
          {"db_up", s.up ? 1 : 0},
          {"failure", s.up ? "" : std::string(failure_name(s.failure))},
          {"error", s.error},
          {"server_version", s.server_version},
          {"max_connections", s.max_connections},
          {"max_user_connections", s.max_user_connections},
          {"connections_used", s.threads_connected},
          {"connections_used_ratio",
           s.max_connections > 0 ? static_cast<double>(s.threads_connected) / static_cast<double>(s.max_connections) : 0.0},
          {"threads_running", s.threads_running},
          {"max_used_connections", s.max_used_connections},
          {"connections_total", s.connections_total},
          {"aborted_connects", s.aborted_connects},
          {"aborted_clients", s.aborted_clients},
          {"clients", clients},
          {"sees_all_clients", s.sees_all_clients},
          {"digests_available", s.digests_available},
          {"digests_note", s.digests_note},
          {"digests", digests},
          {"missing_privileges", s.missing_privileges},
          {"collect_s", s.collect_s}};
}

}  // namespace hpcmon::dbhealth
