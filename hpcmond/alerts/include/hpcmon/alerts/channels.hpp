// Where alerts go: the log, a webhook (JSON POST), Prometheus Alertmanager (its v2 API) and
// mail through SMTP, each behind its own delivery thread and bounded queue, so a slow or dead
// channel never delays rule evaluation. Failed deliveries are retried with exponential
// backoff (alerting.webhook_backoff_s, doubled per retry, at most 300 s) up to
// alerting.webhook_max_retries times, then dropped and counted. libcurl speaks HTTP and SMTP.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "hpcmon/alerts/engine.hpp"

namespace hpcmon::alerts {

class Channel {
 public:
  virtual ~Channel() = default;
  virtual std::string name() const = 0;  // log, webhook, alertmanager, smtp
  // Delivers one notification: "" on success, else why not (then retried). A delivery in
  // progress gives up soon after `cancel` becomes true (the daemon is stopping).
  virtual std::string deliver(const Notification& notification, const std::atomic<bool>& cancel) = 0;
};

// One message as a JSON body (webhook): {"version":1,"status":..,"cluster":..,"alert":{..}}.
nlohmann::json webhook_body(const Notification& notification, const std::string& cluster);
// Alertmanager's v2 body: a list of one {labels, annotations, startsAt, endsAt}. A firing
// alert ends kAlertmanagerValidity after it was sent unless sent again (as Prometheus does):
// a head that stops sending lets Alertmanager resolve it.
nlohmann::json alertmanager_body(const Notification& notification, const std::string& cluster,
                                 std::int64_t now_ns);
inline constexpr std::int64_t kAlertmanagerResendNs = 60LL * 1000000000;
inline constexpr std::int64_t kAlertmanagerValidityNs = 4 * kAlertmanagerResendNs;
// A complete RFC 5322 message (headers and body; CR LF line ends).
std::string mail_text(const Notification& notification, const std::string& from,
                      const std::vector<std::string>& to, const std::string& cluster);

std::unique_ptr<Channel> log_channel(std::function<void(const std::string&)> log);
std::unique_ptr<Channel> webhook_channel(std::string url, double timeout_s, std::string cluster);
std::unique_ptr<Channel> alertmanager_channel(std::string base_url, double timeout_s,
                                              std::string cluster);
std::unique_ptr<Channel> smtp_channel(std::string host, long port, std::string from,
                                      std::vector<std::string> to, double timeout_s,
                                      std::string cluster);

struct ChannelStats {
  std::string name;
  std::uint64_t delivered = 0, failed = 0, retries = 0, dropped = 0;
  std::size_t queued = 0;
};

// A channel's delivery thread and its bounded queue (the oldest is dropped when full).
class ChannelWorker {
 public:
  ChannelWorker(std::unique_ptr<Channel> channel, std::size_t queue_size, int max_retries,
                double backoff_s, std::function<void(const std::string&)> log);
  ~ChannelWorker();  // stops after the delivery in progress (bounded by its timeout)
  void enqueue(const Notification& notification);  // never blocks on delivery
  ChannelStats stats() const;
  const std::string& name() const { return stats_.name; }

 private:
  void loop();
  std::unique_ptr<Channel> channel_;
  std::size_t queue_size_;
  int max_retries_;
  double backoff_s_;
  std::function<void(const std::string&)> log_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Notification> queue_;
  bool stopping_ = false;
  std::atomic<bool> cancel_{false};
  ChannelStats stats_;
  std::thread thread_;
};

// Every configured channel; notify() hands a copy to each queue and returns at once.
class Dispatcher : public Notifier {
 public:
  void add(std::unique_ptr<ChannelWorker> worker) { workers_.push_back(std::move(worker)); }
  void notify(const Notification& notification) override;
  // To one channel only (the periodic re-send of firing alerts to Alertmanager).
  void notify_channel(const std::string& name, const Notification& notification);
  bool has_channel(const std::string& name) const;
  std::vector<ChannelStats> stats() const;

 private:
  std::vector<std::unique_ptr<ChannelWorker>> workers_;
};

// The channels alerting.* configures (log; webhook_url; alertmanager_url; smtp_host + smtp_to).
std::unique_ptr<Dispatcher> make_dispatcher(const config::Alerting& alerting,
                                            const std::string& cluster,
                                            std::function<void(const std::string&)> log);

}  // namespace hpcmon::alerts
