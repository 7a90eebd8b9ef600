// hpcmon dbhealth/mariadb: the head daemon's own connection to Slurm's accounting database
// (MariaDB or MySQL, possibly on another host) through libmariadb.
// What it is: an endpoint (TCP host:port or unix socket, account, 0600 password file,
// connect/read timeouts), a connection that runs read-only statements, and errors typed by
// cause (unreachable, wrong password, missing privilege) with one-line messages.
// What it owns: nothing on the server; it reads status, PROCESSLIST and performance_schema
// (db_status.hpp, db_monitor.hpp) and, for `hpcmon db try-index`, a development schema.
// What it must never do: log or return a password, wait on a server longer than its
// timeouts, or run DDL/DML against slurmdbd's live schema.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hpcmon::dbhealth {

struct Endpoint {
  std::string host = "127.0.0.1";
  int port = 3306;
  std::string socket;         // non-empty: the unix socket, host and port unused
  std::string user = "hpcmon";
  std::string password_file;  // first line is the password; mode 0600, owner the reader or root
  std::string database;       // default schema; empty: none
  double connect_timeout_s = 5;
  double read_timeout_s = 10;  // also the write timeout: a stuck server costs at most this
  // "hpcmon@127.0.0.1:3306" or "hpcmon@/run/mysqld/mysqld.sock": for messages, no secret.
  std::string describe() const;
};

enum class Failure {
  none,
  password_file,      // the password file is missing, unsafe or empty
  unreachable,        // no server at that address (refused, timeout, unknown host)
  access_denied,      // wrong user or password, or the host is not allowed
  missing_privilege,  // the account lacks a privilege a statement needs
  too_many_connections,  // the server's or the account's connection limit
  lost,               // the connection broke during a statement (read timeout, server gone)
  query,              // any other statement error
};
std::string_view failure_name(Failure failure);  // "unreachable", "access_denied", ...

class DbError : public std::runtime_error {
 public:
  DbError(Failure failure, unsigned code, const std::string& message)
      : std::runtime_error(message), failure_(failure), code_(code) {}
  Failure failure() const { return failure_; }
  unsigned code() const { return code_; }  // the server's or client's error number, 0 if none

 private:
  Failure failure_;
  unsigned code_;
};

// Reads the password file under the token-file rules: O_NOFOLLOW, a regular file owned by the
// reader or root, no group or other access. Throws DbError(password_file) naming the file only.
std::string read_password_file(const std::string& path);

class Connection {
 public:
  using Row = std::vector<std::optional<std::string>>;  // nullopt: SQL NULL
  struct Result {
    std::vector<std::string> columns;
    std::vector<Row> rows;
    // The column's index; throws DbError(query) when the result has no such column.
    std::size_t column(std::string_view name) const;
  };

  // Connects (throws DbError). The password is read from the file, used once and wiped.
  static Connection open(const Endpoint& endpoint);
  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  ~Connection();

  Result query(const std::string& sql);  // throws DbError
  void execute(const std::string& sql);  // a statement without a result set; throws DbError
  std::uint64_t affected_rows() const;   // of the last execute()
  std::string quote(std::string_view text) const;  // 'text' escaped for this connection
  const Endpoint& endpoint() const { return endpoint_; }

 private:
  struct Handle;
  Connection(Endpoint endpoint, std::unique_ptr<Handle> handle);
  [[noreturn]] void fail(const std::string& what) const;
  Endpoint endpoint_;
  std::unique_ptr<Handle> handle_;
};

// A MariaDB identifier in backquotes (`a``b` for a`b).
std::string quote_identifier(std::string_view name);

}  // namespace hpcmon::dbhealth
