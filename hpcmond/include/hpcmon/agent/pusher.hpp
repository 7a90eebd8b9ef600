// Sends the spool's messages to the head, oldest first, one HTTP POST each
// (`POST <head_url>/api/v1/agent/push`, docs/api.md), on its own thread so a slow or absent
// head never delays sampling. A message leaves the spool only when the head answers 2xx
// (or 409, "already have it"); 400/413/422 drop it (it would block the queue forever); any
// other answer or no answer stops the round and retries later with a growing pause (up to 30 s).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

#include "hpcmon/agent/log.hpp"
#include "hpcmon/agent/spool.hpp"

namespace hpcmon::agent {

class Pusher {
 public:
  // An https head_url is verified against `ca_file` (PEM) when set, else the system's CAs.
  Pusher(Spool& spool, std::string head_url, std::filesystem::path token_file, double interval_s, Log& log,
         std::filesystem::path ca_file = {});
  ~Pusher();  // stops and joins the thread
  void wake();  // something new in the spool
  std::uint64_t sent() const { return sent_; }
  std::uint64_t rejected() const { return rejected_; }
  std::uint64_t failed() const { return failed_; }  // POSTs that got no answer (refused, TLS, timeout)

 private:
  void loop();
  bool push_one(const std::string& body, long& http_status);
  std::string token();

  Spool& spool_;
  std::string url_;
  std::filesystem::path token_file_;
  std::filesystem::path ca_file_;
  double interval_s_;
  Log& log_;
  std::atomic<std::uint64_t> sent_{0}, rejected_{0}, failed_{0};
  std::mutex mutex_;
  std::condition_variable cv_;
  bool stop_ = false, woken_ = false;
  std::thread thread_;
};

}  // namespace hpcmon::agent
