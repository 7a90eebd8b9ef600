#include "hpcmon/agent/pusher.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>

#include "hpcmon/token_file.hpp"

namespace hpcmon::agent {

Pusher::Pusher(Spool& spool, std::string head_url, std::filesystem::path token_file, double interval_s, Log& log,
               std::filesystem::path ca_file)
    : spool_(spool),
      url_(std::move(head_url)),
      token_file_(std::move(token_file)),
      ca_file_(std::move(ca_file)),
      interval_s_(interval_s),
      log_(log) {
  while (!url_.empty() && url_.back() == '/') url_.pop_back();
  url_ += "/api/v1/agent/push";
  curl_global_init(CURL_GLOBAL_DEFAULT);
  thread_ = std::thread([this] { loop(); });
}

Pusher::~Pusher() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  cv_.notify_all();
  thread_.join();
}

void Pusher::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  cv_.notify_all();
}

std::string Pusher::token() {
  std::string error;
  std::string t = read_token_file(token_file_.string(), error);  // re-read each round: rotation needs no restart
  if (!error.empty()) log_.once(Level::warning, "token:" + error, "push token: " + error + " (pushing without one)");
  return t;
}

namespace {
std::size_t ignore_body(char*, std::size_t size, std::size_t n, void*) { return size * n; }
}  // namespace

bool Pusher::push_one(const std::string& body, long& http_status) {
  CURL* curl = curl_easy_init();
  if (!curl) return false;
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  const std::string t = token();
  if (!t.empty()) headers = curl_slist_append(headers, ("Authorization: Bearer " + t).c_str());
  curl_easy_setopt(curl, CURLOPT_URL, url_.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, ignore_body);
  if (url_.rfind("https://", 0) == 0) {
    // The token goes only to a head whose certificate chains to the configured CA.
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "https");
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!ca_file_.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, ca_file_.c_str());
  } else {
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http");
  }
  const CURLcode rc = curl_easy_perform(curl);
  http_status = 0;
  if (rc == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http_status);
  else log_.once(Level::warning, "push-failed", std::string("push to ") + url_ + " failed: " + curl_easy_strerror(rc) +
                                                   " (spooling; later failures are only counted)");
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  return rc == CURLE_OK;
}

void Pusher::loop() {
  double pause_s = interval_s_;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      cv_.wait_for(lock, std::chrono::duration<double>(pause_s), [this] { return stop_ || woken_; });
      if (stop_) return;
      woken_ = false;
    }
    bool healthy = true;
    for (const auto& entry : spool_.pending()) {
      {
        std::lock_guard lock(mutex_);
        if (stop_) return;
      }
      auto body = spool_.read(entry);
      if (!body) {
        spool_.remove(entry.seq);
        continue;
      }
      long status = 0;
      if (!push_one(*body, status)) {
        ++failed_;
        healthy = false;
        break;
      }
      if ((status >= 200 && status < 300) || status == 409) {
        spool_.remove(entry.seq);
        ++sent_;
      } else if (status == 400 || status == 413 || status == 422) {
        log_.once(Level::warning, "push-rejected-" + std::to_string(status),
                  "the head rejected push " + std::to_string(entry.seq) + " with HTTP " + std::to_string(status) +
                      "; dropped (later rejections are only counted)");
        spool_.remove(entry.seq);
        ++rejected_;
      } else {
        log_.once(Level::warning, "push-status-" + std::to_string(status),
                  "the head answered HTTP " + std::to_string(status) + "; keeping the spool and retrying");
        healthy = false;
        break;
      }
    }
    // After a failure wait longer each time (up to 30 s); back to the interval once it works.
    pause_s = healthy ? interval_s_ : std::min(30.0, std::max(pause_s * 2, interval_s_));
  }
}

}  // namespace hpcmon::agent
