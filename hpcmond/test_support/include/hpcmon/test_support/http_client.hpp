// The tests' one HTTP client (libcurl): what the head, alert and history tests send to a
// daemon and read back. Status 0 means no answer (refused, timed out, TLS failure).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace hpcmon::test_support {

struct Reply {
  long status = 0;
  std::string body;
  std::string content_type;
  // The body parsed (discarded JSON when it is not JSON).
  nlohmann::json json() const;
  // The "data" member of the API's envelope (null when there is none).
  nlohmann::json data() const;
};

// "Authorization: Bearer <token>", for the headers of a request.
std::string bearer(const std::string& token);

// Keeps one connection open across requests: for loops that push as fast as they can.
class HttpClient {
 public:
  HttpClient();
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;
  // METHOD is GET, POST (with `body`) or any other verb; `headers` are whole header lines.
  Reply request(const std::string& url, const std::string& method = "GET", const std::string& body = "",
                const std::vector<std::string>& headers = {});
  // A POST of a JSON body, with the bearer token when one is given (agent pushes, admin actions).
  Reply post_json(const std::string& url, const std::string& body, const std::string& token = "");

 private:
  void* curl_;
};

// One request on a connection of its own.
Reply http(const std::string& url, const std::string& method = "GET", const std::string& body = "",
           const std::vector<std::string>& headers = {});
Reply post_json(const std::string& url, const std::string& body, const std::string& token = "");

}  // namespace hpcmon::test_support
