// One reading of the accounting database's health through the monitor's own account:
// connections used against max_connections, per client (user@host from PROCESSLIST, all
// clients with the PROCESS privilege), aborted connects, threads running, and
// performance_schema's statement digests (the preferred source of fingerprint statistics).
// Read-only statements only; what the account may not read is reported, never worked around.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hpcmon/dbhealth/analyzer.hpp"
#include "hpcmon/dbhealth/mariadb.hpp"

namespace hpcmon::dbhealth {

struct ClientConnections {
  std::string user;
  std::string host;             // without the client's port; "localhost" for a unix socket
  std::int64_t connections = 0;
  std::int64_t active = 0;      // running a statement (Command other than Sleep)
  std::int64_t longest_s = 0;   // the longest current statement or idle time, seconds
};

// A row of performance_schema.events_statements_summary_by_digest (times in seconds).
struct Digest {
  std::string schema;
  std::string digest;  // MariaDB's hash of the normalised statement
  std::string text;    // DIGEST_TEXT: the statement with literals as ?
  std::uint64_t count = 0;
  double total_s = 0, avg_s = 0, max_s = 0, min_s = 0, lock_s = 0;
  std::uint64_t rows_examined = 0, rows_sent = 0;
  std::uint64_t no_index_used = 0;  // executions that used no index
  std::string first_seen, last_seen;  // server local time, as MariaDB prints it
  std::int64_t first_seen_epoch = 0, last_seen_epoch = 0;  // the same, epoch seconds
};

struct DbStatus {
  std::int64_t t_ns = 0;  // when the reading was taken
  bool up = false;
  Failure failure = Failure::none;  // why up is false
  std::string error;                // one line, no credential
  std::string server_version;
  std::int64_t max_connections = 0;
  std::int64_t max_user_connections = 0;  // server-wide per-account limit (0: none)
  std::int64_t threads_connected = 0;     // connections in use, this one included
  std::int64_t threads_running = 0;
  std::int64_t max_used_connections = 0;
  std::int64_t connections_total = 0;     // attempts since the server started
  std::int64_t aborted_connects = 0;
  std::int64_t aborted_clients = 0;
  std::vector<ClientConnections> clients;  // by connections, most first
  bool sees_all_clients = false;  // PROCESS privilege: PROCESSLIST lists every client
  bool digests_available = false;
  std::string digests_note;       // why not, when not
  std::vector<Digest> digests;    // every digest of the schema (up to max_digest_rows), by total time
  std::size_t top_digests = 20;   // how many of them to_json shows
  bool digests_complete = false;  // fewer than max_digest_rows: none was left out
  std::int64_t max_digest_length = 1024;  // @@performance_schema_max_digest_length: longer texts are cut
  std::vector<std::string> missing_privileges;  // e.g. "PROCESS", "SELECT on performance_schema"
  double collect_s = 0;           // how long this reading took
};

struct ReadOptions {
  std::string digest_schema;        // only digests of this schema (slurmdbd's); empty: all
  std::size_t top_digests = 20;     // shown by to_json
  std::size_t max_digest_rows = 10000;  // read (the digest table holds performance_schema_digests_size)
};

// Reads everything above on an open connection. Throws DbError when the connection itself
// fails (unreachable, lost); a statement the account may not run only clears its part and
// names the privilege in missing_privileges.
DbStatus read_status(Connection& connection, const ReadOptions& options);

// "127.0.0.1:45678" -> "127.0.0.1", "[::1]:5" -> "::1", "localhost" -> "localhost".
std::string client_host(const std::string& processlist_host);

// The reading's digests as the analysis takes them (Analyzer::add_digests).
DigestSnapshot digest_snapshot(const DbStatus& status);

nlohmann::json to_json(const ClientConnections& client);
nlohmann::json to_json(const Digest& digest);
nlohmann::json to_json(const DbStatus& status);

}  // namespace hpcmon::dbhealth
