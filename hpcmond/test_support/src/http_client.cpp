#include "hpcmon/test_support/http_client.hpp"

#include <curl/curl.h>

namespace hpcmon::test_support {

nlohmann::json Reply::json() const { return nlohmann::json::parse(body, nullptr, false); }

nlohmann::json Reply::data() const {
  const nlohmann::json envelope = json();
  return envelope.is_object() && envelope.contains("data") ? envelope["data"] : nlohmann::json();
}

std::string bearer(const std::string& token) { return "Authorization: Bearer " + token; }

namespace {

std::size_t append_body(char* data, std::size_t size, std::size_t count, void* out) {
  static_cast<std::string*>(out)->append(data, size * count);
  return size * count;
}

}  // namespace

HttpClient::HttpClient() : curl_(curl_easy_init()) {}
HttpClient::~HttpClient() { curl_easy_cleanup(static_cast<CURL*>(curl_)); }

Reply HttpClient::request(const std::string& url, const std::string& method, const std::string& body,
                          const std::vector<std::string>& headers) {
  Reply reply;
  CURL* curl = static_cast<CURL*>(curl_);
  curl_easy_reset(curl);  // the connection stays, the options of the last request do not
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, append_body);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &reply.body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT, 10L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_slist* list = nullptr;
  for (const auto& header : headers) list = curl_slist_append(list, header.c_str());
  if (list) curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  if (method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POST, 1L);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  } else if (method != "GET") {
    curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  }
  if (curl_easy_perform(curl) == CURLE_OK) {
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &reply.status);
    char* type = nullptr;
    curl_easy_getinfo(curl, CURLINFO_CONTENT_TYPE, &type);
    if (type) reply.content_type = type;
  }
  curl_slist_free_all(list);
  return reply;
}

Reply HttpClient::post_json(const std::string& url, const std::string& body, const std::string& token) {
  std::vector<std::string> headers{"Content-Type: application/json"};
  if (!token.empty()) headers.push_back(bearer(token));
  return request(url, "POST", body, headers);
}

Reply http(const std::string& url, const std::string& method, const std::string& body,
           const std::vector<std::string>& headers) {
  return HttpClient().request(url, method, body, headers);
}

Reply post_json(const std::string& url, const std::string& body, const std::string& token) {
  return HttpClient().post_json(url, body, token);
}

}  // namespace hpcmon::test_support
