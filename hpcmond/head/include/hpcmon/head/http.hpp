// The head daemon's HTTP layer: requests in, one JSON envelope out.
// Owns: the libmicrohttpd listener, body-size limits, the route table, and the single
// adapter that turns a handler's data or typed error into `{"status":"success","data":...}`
// or `{"status":"error","error":{...}}` with the matching HTTP status.
// Never: lets a handler write a response itself, logs request bodies or credentials, or
// throws out of the libmicrohttpd callback.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <nlohmann/json.hpp>

namespace hpcmon::head {

struct Request {
  std::string method;  // "GET", "POST", ...
  std::string path;    // without the query string
  std::map<std::string, std::string> query;
  std::map<std::string, std::string> headers;  // names lower-case
  std::string body;
  std::string path_tail;  // what a prefix route matched after its prefix (e.g. the job id)
  std::string peer;       // "127.0.0.1"
  // Set by the access check: the authenticated caller (empty: anonymous) and whether it
  // may see every user's data.
  std::string user;
  bool sees_all = true;

  std::optional<std::string> param(const std::string& name) const {
    auto it = query.find(name);
    if (it == query.end()) return std::nullopt;
    return it->second;
  }
};

enum class ErrorType {
  bad_parameter,      // 400
  bad_body,           // 400
  unauthorized,       // 401
  forbidden,          // 403
  not_found,          // 404
  method_not_allowed, // 405
  payload_too_large,  // 413
  unavailable,        // 503
  internal,           // 500
};

struct ApiError {
  ErrorType type = ErrorType::internal;
  std::string message;
  std::string parameter;  // for bad_parameter: the offending query parameter
};

const char* error_type_name(ErrorType type);
int http_status(ErrorType type);

// Something other than JSON (the Prometheus text format), or bytes already rendered: with
// `shared` set, its bytes are sent without a copy (a cached envelope) and `text` is unused.
struct RawBody {
  std::string content_type;
  std::string text;
  std::shared_ptr<const std::string> shared;
  int status = 200;  // 304 for a static file the client already has
  std::vector<std::pair<std::string, std::string>> headers = {};  // e.g. ETag, Cache-Control
};

using Outcome = std::variant<nlohmann::json, ApiError, RawBody>;
using Handler = std::function<Outcome(const Request&)>;

struct Response {
  int status = 200;
  std::string content_type = "application/json";
  std::string body;
  std::shared_ptr<const std::string> shared_body;  // when set, sent instead of `body`, uncopied
  std::vector<std::pair<std::string, std::string>> headers;
};

// The one adapter: handler outcome to HTTP response.
Response to_response(const Outcome& outcome);

// Routes by method and exact path, or by method and path prefix (the rest goes to
// Request::path_tail). Unknown paths are not_found; a known path with another method is
// method_not_allowed.
class Router {
 public:
  void get(std::string path, Handler handler) { add("GET", std::move(path), false, std::move(handler)); }
  void post(std::string path, Handler handler) { add("POST", std::move(path), false, std::move(handler)); }
  void get_prefix(std::string prefix, Handler handler) { add("GET", std::move(prefix), true, std::move(handler)); }
  // An access check run before every handler; returns an error to refuse the request.
  void set_guard(std::function<std::optional<ApiError>(Request&)> guard) { guard_ = std::move(guard); }
  Outcome dispatch(Request& request) const;

 private:
  struct Route {
    std::string method, path;
    bool prefix;
    Handler handler;
  };
  void add(std::string method, std::string path, bool prefix, Handler handler);
  std::vector<Route> routes_;
  std::function<std::optional<ApiError>(Request&)> guard_;
};

// PEM text of a TLS server certificate (chain) and its key; both empty: plain HTTP.
struct TlsPem {
  std::string cert, key;
  bool enabled() const { return !cert.empty(); }
};

// Reads a TLS certificate and key from files; empty on success, else one line saying why.
std::string read_tls_files(const std::string& cert_file, const std::string& key_file, TlsPem& out);

// A libmicrohttpd listener on one IPv4 address and port, internal thread pool.
class HttpServer {
 public:
  HttpServer(const Router& router, std::size_t max_body_bytes);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;
  // Empty on success, else one line saying why it cannot listen. Port 0 picks a free port.
  // threads: size of the epoll thread pool; 0 means one thread per connection.
  // With `tls` enabled it serves HTTPS only (libmicrohttpd on GnuTLS).
  std::string start(const std::string& address, std::uint16_t port, unsigned threads = 1,
                    const TlsPem& tls = {});
  void stop();
  std::uint16_t port() const { return port_; }
  const std::atomic<std::uint64_t>& request_counter() const { return requests_; }

  // For libmicrohttpd's callbacks only.
  struct Impl;

 private:
  const Router& router_;
  std::size_t max_body_bytes_;
  void* daemon_ = nullptr;
  TlsPem tls_;  // libmicrohttpd keeps pointers into these while it runs
  std::uint16_t port_ = 0;
  std::atomic<std::uint64_t> requests_{0};
  friend struct Impl;
};

}  // namespace hpcmon::head
