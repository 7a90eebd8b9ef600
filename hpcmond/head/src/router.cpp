// Route table and the one adapter from a handler's outcome to an HTTP response.
#include "hpcmon/head/http.hpp"

namespace hpcmon::head {

const char* error_type_name(ErrorType type) {
  switch (type) {
    case ErrorType::bad_parameter: return "bad_parameter";
    case ErrorType::bad_body: return "bad_body";
    case ErrorType::unauthorized: return "unauthorized";
    case ErrorType::forbidden: return "forbidden";
    case ErrorType::not_found: return "not_found";
    case ErrorType::method_not_allowed: return "method_not_allowed";
    case ErrorType::payload_too_large: return "payload_too_large";
    case ErrorType::unavailable: return "unavailable";
    case ErrorType::internal: return "internal";
  }
  return "internal";
}

int http_status(ErrorType type) {
  switch (type) {
    case ErrorType::bad_parameter:
    case ErrorType::bad_body: return 400;
    case ErrorType::unauthorized: return 401;
    case ErrorType::forbidden: return 403;
    case ErrorType::not_found: return 404;
    case ErrorType::method_not_allowed: return 405;
    case ErrorType::payload_too_large: return 413;
    case ErrorType::unavailable: return 503;
    case ErrorType::internal: return 500;
  }
  return 500;
}

Response to_response(const Outcome& outcome) {
  Response response;
  if (const auto* raw = std::get_if<RawBody>(&outcome)) {
    response.content_type = raw->content_type;
    response.status = raw->status;
    response.headers = raw->headers;
    if (raw->shared) response.shared_body = raw->shared;
    else response.body = raw->text;
    return response;
  }
  nlohmann::json envelope;
  if (const auto* data = std::get_if<nlohmann::json>(&outcome)) {
    envelope = {{"status", "success"}, {"data", *data}};
  } else {
    const auto& error = std::get<ApiError>(outcome);
    nlohmann::json body = {{"type", error_type_name(error.type)}, {"message", error.message}};
    if (!error.parameter.empty()) body["parameter"] = error.parameter;
    envelope = {{"status", "error"}, {"error", body}};
    response.status = http_status(error.type);
    if (error.type == ErrorType::unauthorized)
      response.headers.emplace_back("WWW-Authenticate", "Bearer");
  }
  // Replace invalid UTF-8 (user-controlled strings from records) rather than throwing.
  response.body = envelope.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  return response;
}

void Router::add(std::string method, std::string path, bool prefix, Handler handler) {
  routes_.push_back({std::move(method), std::move(path), prefix, std::move(handler)});
}

Outcome Router::dispatch(Request& request) const {
  const Route* match = nullptr;
  bool path_known = false;
  for (const Route& route : routes_) {
    const bool fits = route.prefix ? request.path.size() > route.path.size() &&
                                         request.path.compare(0, route.path.size(), route.path) == 0
                                   : request.path == route.path;
    if (!fits) continue;
    path_known = true;
    if (route.method == request.method) {
      match = &route;
      if (route.prefix) request.path_tail = request.path.substr(route.path.size());
      break;
    }
  }
  if (!match) {
    if (path_known)
      return ApiError{ErrorType::method_not_allowed,
                      request.method + " is not allowed on " + request.path, ""};
    return ApiError{ErrorType::not_found, "no such endpoint: " + request.path, ""};
  }
  if (guard_)
    if (auto refused = guard_(request)) return *refused;
  return match->handler(request);
}

}  // namespace hpcmon::head
