// The libmariadb connection (mariadb.hpp): options, typed errors, statements.
#include "hpcmon/dbhealth/mariadb.hpp"

#include <errmsg.h>
#include <fcntl.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <mutex>

namespace hpcmon::dbhealth {
namespace {

// libmariadb's global state is set up once, before any thread opens a connection.
void init_library() {
  static std::once_flag once;
  std::call_once(once, [] { mysql_library_init(0, nullptr, nullptr); });
}

Failure classify(unsigned code) {
  switch (code) {
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case CR_UNKNOWN_HOST:
    case CR_IPSOCK_ERROR:
    case CR_SOCKET_CREATE_ERROR:
      return Failure::unreachable;
    case CR_SERVER_GONE_ERROR:
    case CR_SERVER_LOST:
    case CR_SERVER_LOST_EXTENDED:
      return Failure::lost;
    case ER_ACCESS_DENIED_ERROR:
    case ER_HOST_NOT_PRIVILEGED:
    case ER_DBACCESS_DENIED_ERROR:
      return Failure::access_denied;
    case ER_SPECIFIC_ACCESS_DENIED_ERROR:
    case ER_TABLEACCESS_DENIED_ERROR:
    case ER_COLUMNACCESS_DENIED_ERROR:
      return Failure::missing_privilege;
    case ER_CON_COUNT_ERROR:
    case ER_TOO_MANY_USER_CONNECTIONS:
    case ER_USER_LIMIT_REACHED:
      return Failure::too_many_connections;
    default:
      return Failure::query;
  }
}

unsigned whole_seconds(double seconds) {
  return static_cast<unsigned>(std::max(1.0, std::ceil(seconds)));
}

}  // namespace

std::string_view failure_name(Failure failure) {
  switch (failure) {
    case Failure::none: return "none";
    case Failure::password_file: return "password_file";
    case Failure::unreachable: return "unreachable";
    case Failure::access_denied: return "access_denied";
    case Failure::missing_privilege: return "missing_privilege";
    case Failure::too_many_connections: return "too_many_connections";
    case Failure::lost: return "lost";
    case Failure::query: return "query";
  }
  return "query";
}

std::string Endpoint::describe() const {
  return user + "@" + (socket.empty() ? host + ":" + std::to_string(port) : socket);
}

std::string read_password_file(const std::string& path) {
  auto fail = [&](const std::string& why) -> std::string {
    throw DbError(Failure::password_file, 0, "password file " + path + ": " + why);
  };
  if (path.empty()) fail("not configured");
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
  if (fd < 0) fail(std::strerror(errno));
  struct stat info {};
  std::string text;
  const bool stat_ok = ::fstat(fd, &info) == 0;
  if (stat_ok && S_ISREG(info.st_mode) && info.st_size < 65536) {
    char buffer[4096];
    ssize_t got;
    while ((got = ::read(fd, buffer, sizeof buffer)) > 0) text.append(buffer, static_cast<std::size_t>(got));
  }
  ::close(fd);
  if (!stat_ok || !S_ISREG(info.st_mode)) fail("not a regular file");
  if (info.st_uid != 0 && info.st_uid != ::geteuid()) fail("owned by another user");
  if (info.st_mode & (S_IRWXG | S_IRWXO)) fail("readable by group or others (chmod 600)");
  std::string password = text.substr(0, text.find('\n'));
  while (!password.empty() && (password.back() == '\r' || password.back() == ' ' || password.back() == '\t'))
    password.pop_back();
  std::fill(text.begin(), text.end(), '\0');
  if (password.empty()) fail("empty");
  return password;
}

struct Connection::Handle {
  MYSQL* mysql = nullptr;
  ~Handle() {
    if (mysql) mysql_close(mysql);
  }
};

Connection::Connection(Endpoint endpoint, std::unique_ptr<Handle> handle)
    : endpoint_(std::move(endpoint)), handle_(std::move(handle)) {}
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;
Connection::~Connection() = default;

Connection Connection::open(const Endpoint& endpoint) {
  init_library();
  std::string password = read_password_file(endpoint.password_file);
  auto handle = std::make_unique<Handle>();
  handle->mysql = mysql_init(nullptr);
  if (!handle->mysql) throw DbError(Failure::query, 0, "mysql_init: out of memory");
  const unsigned connect_s = whole_seconds(endpoint.connect_timeout_s);
  const unsigned read_s = whole_seconds(endpoint.read_timeout_s);
  mysql_options(handle->mysql, MYSQL_OPT_CONNECT_TIMEOUT, &connect_s);
  mysql_options(handle->mysql, MYSQL_OPT_READ_TIMEOUT, &read_s);
  mysql_options(handle->mysql, MYSQL_OPT_WRITE_TIMEOUT, &read_s);
  const unsigned protocol = endpoint.socket.empty() ? MYSQL_PROTOCOL_TCP : MYSQL_PROTOCOL_SOCKET;
  mysql_options(handle->mysql, MYSQL_OPT_PROTOCOL, &protocol);
  mysql_options(handle->mysql, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  // No option files: the daemon's behaviour comes from its own config only.
  MYSQL* ok = mysql_real_connect(handle->mysql, endpoint.socket.empty() ? endpoint.host.c_str() : nullptr,
                                 endpoint.user.c_str(), password.c_str(),
                                 endpoint.database.empty() ? nullptr : endpoint.database.c_str(),
                                 static_cast<unsigned>(endpoint.port),
                                 endpoint.socket.empty() ? nullptr : endpoint.socket.c_str(), 0);
  std::fill(password.begin(), password.end(), '\0');
  if (!ok) {
    const unsigned code = mysql_errno(handle->mysql);
    // The server's message names user and host, never the password.
    throw DbError(classify(code), code,
                  "cannot connect to " + endpoint.describe() + ": " + mysql_error(handle->mysql));
  }
  return Connection(endpoint, std::move(handle));
}

void Connection::fail(const std::string& what) const {
  const unsigned code = mysql_errno(handle_->mysql);
  throw DbError(classify(code), code, endpoint_.describe() + ": " + what + ": " + mysql_error(handle_->mysql));
}

std::size_t Connection::Result::column(std::string_view name) const {
  for (std::size_t i = 0; i < columns.size(); ++i)
    if (columns[i] == name) return i;
  throw DbError(Failure::query, 0, "result has no column " + std::string(name));
}

Connection::Result Connection::query(const std::string& sql) {
  if (mysql_real_query(handle_->mysql, sql.data(), sql.size()) != 0) fail("statement failed");
  MYSQL_RES* res = mysql_store_result(handle_->mysql);
  Result result;
  if (!res) {
    if (mysql_field_count(handle_->mysql) != 0) fail("reading the result failed");
    return result;
  }
  const unsigned fields = mysql_num_fields(res);
  MYSQL_FIELD* field = mysql_fetch_fields(res);
  for (unsigned i = 0; i < fields; ++i) result.columns.emplace_back(field[i].name);
  while (MYSQL_ROW row = mysql_fetch_row(res)) {
    const unsigned long* lengths = mysql_fetch_lengths(res);
    Row out(fields);
    for (unsigned i = 0; i < fields; ++i)
      if (row[i]) out[i] = std::string(row[i], lengths[i]);
    result.rows.push_back(std::move(out));
  }
  mysql_free_result(res);
  return result;
}

void Connection::execute(const std::string& sql) {
  if (mysql_real_query(handle_->mysql, sql.data(), sql.size()) != 0) fail("statement failed");
  // Drain a result set the statement may still have produced.
  if (MYSQL_RES* res = mysql_store_result(handle_->mysql)) mysql_free_result(res);
}

std::uint64_t Connection::affected_rows() const { return mysql_affected_rows(handle_->mysql); }

std::string Connection::quote(std::string_view text) const {
  std::string out(text.size() * 2 + 1, '\0');
  const unsigned long n = mysql_real_escape_string(handle_->mysql, out.data(), text.data(),
                                                   static_cast<unsigned long>(text.size()));
  out.resize(n);
  return "'" + out + "'";
}

std::string quote_identifier(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`') out += '`';
    out += c;
  }
  return out + "`";
}

}  // namespace hpcmon::dbhealth
