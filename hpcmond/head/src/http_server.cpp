// libmicrohttpd glue: collects a request (query, headers, bounded body), hands it to the
// Router, writes what the adapter produced. Nothing here knows any route.
#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>

#include <algorithm>
#include <charconv>
#include <cctype>
#include <cstring>
#include <fstream>
#include <sstream>
#include <vector>

#include "hpcmon/head/http.hpp"

namespace hpcmon::head {
namespace {

struct Pending {
  Request request;
  bool too_large = false;
};

MHD_Result collect_value(void* cls, MHD_ValueKind, const char* key, const char* value) {
  auto* map = static_cast<std::map<std::string, std::string>*>(cls);
  if (key) (*map)[key] = value ? value : "";
  return MHD_YES;
}

MHD_Result collect_header(void* cls, MHD_ValueKind, const char* key, const char* value) {
  auto* map = static_cast<std::map<std::string, std::string>*>(cls);
  if (!key) return MHD_YES;
  std::string name(key);
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  (*map)[name] = value ? value : "";
  return MHD_YES;
}

void release_shared_body(void* holder) { delete static_cast<std::shared_ptr<const std::string>*>(holder); }

MHD_Result send(MHD_Connection* connection, const Response& response) {
  MHD_Response* mhd = nullptr;
  if (response.shared_body) {
    // A cached body: libmicrohttpd reads the shared bytes in place and drops its reference
    // when the response is done, so a newer render never frees bytes still being sent.
    auto* holder = new std::shared_ptr<const std::string>(response.shared_body);
    mhd = MHD_create_response_from_buffer_with_free_callback_cls(
        (*holder)->size(), const_cast<char*>((*holder)->data()), release_shared_body, holder);
    if (!mhd) delete holder;
  } else {
    mhd = MHD_create_response_from_buffer(response.body.size(), const_cast<char*>(response.body.data()),
                                          MHD_RESPMEM_MUST_COPY);
  }
  if (!mhd) return MHD_NO;
  MHD_add_response_header(mhd, "Content-Type", response.content_type.c_str());
  const bool own_caching = std::any_of(response.headers.begin(), response.headers.end(),
                                       [](const auto& header) { return header.first == "Cache-Control"; });
  if (!own_caching) MHD_add_response_header(mhd, "Cache-Control", "no-store");
  MHD_add_response_header(mhd, "X-Content-Type-Options", "nosniff");
  for (const auto& [name, value] : response.headers)
    MHD_add_response_header(mhd, name.c_str(), value.c_str());
  const MHD_Result result =
      MHD_queue_response(connection, static_cast<unsigned>(response.status), mhd);
  MHD_destroy_response(mhd);
  return result;
}

Response too_large_response(std::size_t limit) {
  return to_response(ApiError{ErrorType::payload_too_large,
                              "request body larger than " + std::to_string(limit) + " bytes", ""});
}

std::string peer_address(MHD_Connection* connection) {
  const MHD_ConnectionInfo* info =
      MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  if (!info || !info->client_addr || info->client_addr->sa_family != AF_INET) return "";
  // Four octets by hand: inet_ntop goes through sprintf, a visible share of a cached
  // request's instructions under callgrind.
  const auto* in = reinterpret_cast<const sockaddr_in*>(info->client_addr);
  const auto* octet = reinterpret_cast<const unsigned char*>(&in->sin_addr.s_addr);
  char text[16];
  char* end = text;
  for (int i = 0; i < 4; ++i) {
    if (i) *end++ = '.';
    end = std::to_chars(end, text + sizeof text, octet[i]).ptr;
  }
  return std::string(text, end);
}

}  // namespace

struct HttpServer::Impl {
  static MHD_Result on_request(void* cls, MHD_Connection* connection, const char* url,
                               const char* method, const char*, const char* upload_data,
                               size_t* upload_data_size, void** state) {
    auto* server = static_cast<HttpServer*>(cls);
    auto* pending = static_cast<Pending*>(*state);
    if (!pending) {
      pending = new Pending;
      *state = pending;
      pending->request.method = method;
      pending->request.path = url;
      const char* length = MHD_lookup_connection_value(connection, MHD_HEADER_KIND,
                                                       MHD_HTTP_HEADER_CONTENT_LENGTH);
      if (length && std::strtoull(length, nullptr, 10) > server->max_body_bytes_) {
        ++server->requests_;
        return send(connection, too_large_response(server->max_body_bytes_));
      }
      return MHD_YES;
    }
    if (*upload_data_size != 0) {
      if (pending->request.body.size() + *upload_data_size > server->max_body_bytes_)
        pending->too_large = true;
      else
        pending->request.body.append(upload_data, *upload_data_size);
      *upload_data_size = 0;
      return MHD_YES;
    }
    ++server->requests_;
    if (pending->too_large) return send(connection, too_large_response(server->max_body_bytes_));
    Request& request = pending->request;
    MHD_get_connection_values(connection, MHD_GET_ARGUMENT_KIND, collect_value, &request.query);
    MHD_get_connection_values(connection, MHD_HEADER_KIND, collect_header, &request.headers);
    request.peer = peer_address(connection);
    Response response;
    try {
      response = to_response(server->router_.dispatch(request));
    } catch (const std::exception& error) {
      response = to_response(ApiError{ErrorType::internal, error.what(), ""});
    }
    return send(connection, response);
  }

  static void on_completed(void*, MHD_Connection*, void** state, MHD_RequestTerminationCode) {
    delete static_cast<Pending*>(*state);
    *state = nullptr;
  }
};

HttpServer::HttpServer(const Router& router, std::size_t max_body_bytes)
    : router_(router), max_body_bytes_(max_body_bytes) {}

HttpServer::~HttpServer() { stop(); }

std::string read_tls_files(const std::string& cert_file, const std::string& key_file, TlsPem& out) {
  auto slurp = [](const std::string& path, std::string& text) {
    std::ifstream in(path, std::ios::binary);
    if (!in) return false;
    std::ostringstream buffer;
    buffer << in.rdbuf();
    text = buffer.str();
    return !text.empty();
  };
  if (cert_file.empty() != key_file.empty())
    return "api.agent_tls_cert_file and api.agent_tls_key_file must be set together";
  if (cert_file.empty()) return "";
  if (!slurp(cert_file, out.cert)) return "api.agent_tls_cert_file: cannot read " + cert_file;
  if (!slurp(key_file, out.key)) return "api.agent_tls_key_file: cannot read " + key_file;
  return "";
}

std::string HttpServer::start(const std::string& address, std::uint16_t port, unsigned threads,
                              const TlsPem& tls) {
  if (tls.enabled() && MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
    return "this libmicrohttpd has no TLS support; cannot serve HTTPS on " + address;
  tls_ = tls;
  sockaddr_in bind_address{};
  bind_address.sin_family = AF_INET;
  bind_address.sin_port = htons(port);
  if (inet_pton(AF_INET, address.c_str(), &bind_address.sin_addr) != 1)
    return "api.listen_address: not an IPv4 address: \"" + address + "\"";
  unsigned flags = (threads == 0 ? MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL
                                 : MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL) |
                   MHD_USE_TURBO;
  // Options in an array so TLS adds its two without a second call shape.
  std::vector<MHD_OptionItem> options = {
      {MHD_OPTION_SOCK_ADDR, 0, &bind_address},
      {MHD_OPTION_CONNECTION_TIMEOUT, 30, nullptr},
      {MHD_OPTION_NOTIFY_COMPLETED, reinterpret_cast<intptr_t>(&Impl::on_completed), this}};
  if (threads != 0) options.push_back({MHD_OPTION_THREAD_POOL_SIZE, static_cast<intptr_t>(threads), nullptr});
  if (tls_.enabled()) {
    flags |= MHD_USE_TLS;
    options.push_back({MHD_OPTION_HTTPS_MEM_CERT, 0, tls_.cert.data()});
    options.push_back({MHD_OPTION_HTTPS_MEM_KEY, 0, tls_.key.data()});
  }
  options.push_back({MHD_OPTION_END, 0, nullptr});
  MHD_Daemon* daemon = MHD_start_daemon(flags, port, nullptr, nullptr, &Impl::on_request, this,
                                        MHD_OPTION_ARRAY, options.data(), MHD_OPTION_END);
  if (!daemon && tls_.enabled())
    return "cannot serve HTTPS on " + address + ":" + std::to_string(port) +
           " (port in use, or certificate and key do not load or do not match)";
  if (!daemon)
    return "cannot listen on " + address + ":" + std::to_string(port) + ": " + std::strerror(errno);
  daemon_ = daemon;
  const MHD_DaemonInfo* info = MHD_get_daemon_info(daemon, MHD_DAEMON_INFO_BIND_PORT);
  port_ = info ? info->port : port;
  return "";
}

void HttpServer::stop() {
  if (daemon_) MHD_stop_daemon(static_cast<MHD_Daemon*>(daemon_));
  daemon_ = nullptr;
}

}  // namespace hpcmon::head
