// Alert channels and their delivery threads (channels.hpp).
#include "hpcmon/alerts/channels.hpp"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <ctime>

namespace hpcmon::alerts {
namespace {

using nlohmann::json;

std::size_t discard(char*, std::size_t size, std::size_t count, void*) { return size * count; }

int cancelled(void* cancel, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(cancel)->load() ? 1 : 0;
}

// Lets a stop request abort a transfer (libcurl calls the callback about once a second).
void abort_on(CURL* curl, const std::atomic<bool>& cancel) {
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, cancelled);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(&cancel));
}

// One POST of a JSON body; "" when answered 2xx.
std::string post_json(const std::string& url, const std::string& body, double timeout_s,
                      const std::atomic<bool>& cancel) {
  CURL* curl = curl_easy_init();
  if (!curl) return "curl_easy_init failed";
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.c_str());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, discard);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_s * 1000));
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout_s * 1000));
  abort_on(curl, cancel);
  const CURLcode code = curl_easy_perform(curl);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (code != CURLE_OK) return curl_easy_strerror(code);
  if (status < 200 || status > 299) return "HTTP status " + std::to_string(status);
  return "";
}

// No CR or LF in a header: label values can come from job ids and node names.
std::string header_safe(std::string text) {
  std::replace_if(text.begin(), text.end(), [](char c) { return c == '\r' || c == '\n'; }, ' ');
  return text;
}

std::string subject_of(const Notification& n) {
  std::string subject = "[hpcmon] " + std::string(n.status == "firing" ? "FIRING" : "RESOLVED") +
                        " " + n.alert.rule + " (" + n.alert.severity + ")";
  for (const char* key : {"node", "job", "step", "mountpoint"})
    if (auto it = n.alert.labels.find(key); it != n.alert.labels.end())
      subject += " " + std::string(key) + "=" + it->second;
  return header_safe(subject);
}

class LogChannel final : public Channel {
 public:
  explicit LogChannel(std::function<void(const std::string&)> log) : log_(std::move(log)) {}
  std::string name() const override { return "log"; }
  std::string deliver(const Notification& n, const std::atomic<bool>&) override {
    std::string labels;
    for (const auto& [key, value] : n.alert.labels) labels += (labels.empty() ? "" : ",") + key + "=" + value;
    if (log_)
      log_("alert " + std::string(n.status == "firing" ? "FIRING" : "RESOLVED") + " " + n.alert.rule +
           " id=" + n.alert.id + " severity=" + n.alert.severity + " {" + labels + "}: " + n.alert.description);
    return "";
  }

 private:
  std::function<void(const std::string&)> log_;
};

class WebhookChannel final : public Channel {
 public:
  WebhookChannel(std::string url, double timeout_s, std::string cluster)
      : url_(std::move(url)), timeout_s_(timeout_s), cluster_(std::move(cluster)) {}
  std::string name() const override { return "webhook"; }
  std::string deliver(const Notification& n, const std::atomic<bool>& cancel) override {
    return post_json(url_, webhook_body(n, cluster_).dump(-1, ' ', false, json::error_handler_t::replace),
                     timeout_s_, cancel);
  }

 private:
  std::string url_;
  double timeout_s_;
  std::string cluster_;
};

class AlertmanagerChannel final : public Channel {
 public:
  AlertmanagerChannel(std::string base, double timeout_s, std::string cluster)
      : url_(std::move(base)), timeout_s_(timeout_s), cluster_(std::move(cluster)) {
    while (!url_.empty() && url_.back() == '/') url_.pop_back();
    url_ += "/api/v2/alerts";
  }
  std::string name() const override { return "alertmanager"; }
  std::string deliver(const Notification& n, const std::atomic<bool>& cancel) override {
    const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 std::chrono::system_clock::now().time_since_epoch()).count();
    return post_json(url_, alertmanager_body(n, cluster_, now).dump(-1, ' ', false, json::error_handler_t::replace),
                     timeout_s_, cancel);
  }

 private:
  std::string url_;
  double timeout_s_;
  std::string cluster_;
};

struct Upload {
  const std::string* text;
  std::size_t offset = 0;
};

std::size_t read_upload(char* buffer, std::size_t size, std::size_t count, void* data) {
  auto* upload = static_cast<Upload*>(data);
  const std::size_t n = std::min(size * count, upload->text->size() - upload->offset);
  std::memcpy(buffer, upload->text->data() + upload->offset, n);
  upload->offset += n;
  return n;
}

class SmtpChannel final : public Channel {
 public:
  SmtpChannel(std::string host, long port, std::string from, std::vector<std::string> to,
              double timeout_s, std::string cluster)
      : url_("smtp://" + host + ":" + std::to_string(port) + "/hpcmond"),
        from_(std::move(from)),
        to_(std::move(to)),
        timeout_s_(timeout_s),
        cluster_(std::move(cluster)) {}
  std::string name() const override { return "smtp"; }
  std::string deliver(const Notification& n, const std::atomic<bool>& cancel) override {
    const std::string text = mail_text(n, from_, to_, cluster_);
    Upload upload{&text};
    CURL* curl = curl_easy_init();
    if (!curl) return "curl_easy_init failed";
    curl_slist* recipients = nullptr;
    for (const auto& address : to_) recipients = curl_slist_append(recipients, ("<" + address + ">").c_str());
    const std::string from = "<" + from_ + ">";
    curl_easy_setopt(curl, CURLOPT_URL, url_.c_str());
    curl_easy_setopt(curl, CURLOPT_MAIL_FROM, from.c_str());
    curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, recipients);
    curl_easy_setopt(curl, CURLOPT_READFUNCTION, read_upload);
    curl_easy_setopt(curl, CURLOPT_READDATA, &upload);
    curl_easy_setopt(curl, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_s_ * 1000));
    curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(timeout_s_ * 1000));
    abort_on(curl, cancel);
    const CURLcode code = curl_easy_perform(curl);
    curl_slist_free_all(recipients);
    curl_easy_cleanup(curl);
    return code == CURLE_OK ? "" : curl_easy_strerror(code);
  }

 private:
  std::string url_, from_;
  std::vector<std::string> to_;
  double timeout_s_;
  std::string cluster_;
};

}  // namespace

json webhook_body(const Notification& n, const std::string& cluster) {
  return {{"version", 1}, {"status", n.status}, {"cluster", cluster}, {"alert", to_json(n.alert)}};
}

json alertmanager_body(const Notification& n, const std::string& cluster, std::int64_t now_ns) {
  json labels = n.alert.labels;
  labels["cluster"] = cluster;
  json annotations = n.alert.annotations;
  annotations["description"] = n.alert.description;
  annotations["hpcmon_id"] = n.alert.id;
  json alert = {{"labels", labels},
                {"annotations", annotations},
                {"startsAt", rfc3339(n.alert.fired_ns ? n.alert.fired_ns : n.alert.active_since_ns)}};
  alert["endsAt"] = rfc3339(n.status == "resolved" ? n.alert.resolved_ns : now_ns + kAlertmanagerValidityNs);
  return json::array({alert});
}

std::string mail_text(const Notification& n, const std::string& from, const std::vector<std::string>& to,
                      const std::string& cluster) {
  char date[64];
  const std::time_t seconds = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S +0000", &utc);
  std::string recipients;
  for (const auto& address : to) recipients += (recipients.empty() ? "" : ", ") + address;
  std::string text = "Date: " + std::string(date) + "\r\nFrom: " + header_safe(from) +
                     "\r\nTo: " + header_safe(recipients) + "\r\nSubject: " + subject_of(n) +
                     "\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n";
  text += n.alert.rule + " is " + n.status + " on cluster " + cluster + ".\r\n\r\n";
  text += header_safe(n.alert.description) + "\r\n\r\n";
  text += "id: " + n.alert.id + "\r\nseverity: " + n.alert.severity + "\r\nvalue: " + std::to_string(n.alert.value) +
          "\r\nactive since: " + rfc3339(n.alert.active_since_ns) + "\r\n";
  if (n.alert.fired_ns) text += "fired: " + rfc3339(n.alert.fired_ns) + "\r\n";
  if (n.alert.resolved_ns) text += "resolved: " + rfc3339(n.alert.resolved_ns) + "\r\n";
  for (const auto& [key, value] : n.alert.labels) text += "label " + key + ": " + header_safe(value) + "\r\n";
  for (const auto& [key, value] : n.alert.annotations) text += "annotation " + key + ": " + header_safe(value) + "\r\n";
  return text;
}

std::unique_ptr<Channel> log_channel(std::function<void(const std::string&)> log) {
  return std::make_unique<LogChannel>(std::move(log));
}
std::unique_ptr<Channel> webhook_channel(std::string url, double timeout_s, std::string cluster) {
  return std::make_unique<WebhookChannel>(std::move(url), timeout_s, std::move(cluster));
}
std::unique_ptr<Channel> alertmanager_channel(std::string base_url, double timeout_s, std::string cluster) {
  return std::make_unique<AlertmanagerChannel>(std::move(base_url), timeout_s, std::move(cluster));
}
std::unique_ptr<Channel> smtp_channel(std::string host, long port, std::string from, std::vector<std::string> to,
                                      double timeout_s, std::string cluster) {
  return std::make_unique<SmtpChannel>(std::move(host), port, std::move(from), std::move(to), timeout_s,
                                       std::move(cluster));
}

ChannelWorker::ChannelWorker(std::unique_ptr<Channel> channel, std::size_t queue_size, int max_retries,
                             double backoff_s, std::function<void(const std::string&)> log)
    : channel_(std::move(channel)),
      queue_size_(queue_size),
      max_retries_(max_retries),
      backoff_s_(backoff_s),
      log_(std::move(log)) {
  stats_.name = channel_->name();
  thread_ = std::thread([this] { loop(); });
}

ChannelWorker::~ChannelWorker() {
  cancel_ = true;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void ChannelWorker::enqueue(const Notification& notification) {
  {
    std::lock_guard lock(mutex_);
    if (queue_.size() >= queue_size_) {
      queue_.pop_front();
      ++stats_.dropped;
    }
    queue_.push_back(notification);
  }
  wake_.notify_all();
}

ChannelStats ChannelWorker::stats() const {
  std::lock_guard lock(mutex_);
  ChannelStats out = stats_;
  out.queued = queue_.size();
  return out;
}

void ChannelWorker::loop() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (stopping_) return;
    Notification notification = queue_.front();
    queue_.pop_front();
    double pause = backoff_s_;
    for (int attempt = 0;; ++attempt) {
      lock.unlock();
      const std::string error = channel_->deliver(notification, cancel_);
      lock.lock();
      if (error.empty()) {
        ++stats_.delivered;
        break;
      }
      if (attempt >= max_retries_) {
        ++stats_.failed;
        if (log_)
          log_("alerts: " + channel_->name() + " dropped " + notification.status + " " + notification.alert.rule +
               " after " + std::to_string(attempt + 1) + " attempts: " + error);
        break;
      }
      ++stats_.retries;
      // Exponential backoff; a stop request ends the wait.
      if (wake_.wait_for(lock, std::chrono::duration<double>(pause), [this] { return stopping_; })) return;
      pause = std::min(pause * 2, 300.0);
    }
  }
}

void Dispatcher::notify(const Notification& notification) {
  for (auto& worker : workers_) worker->enqueue(notification);
}

void Dispatcher::notify_channel(const std::string& name, const Notification& notification) {
  for (auto& worker : workers_)
    if (worker->name() == name) worker->enqueue(notification);
}

bool Dispatcher::has_channel(const std::string& name) const {
  for (const auto& worker : workers_)
    if (worker->name() == name) return true;
  return false;
}

std::vector<ChannelStats> Dispatcher::stats() const {
  std::vector<ChannelStats> out;
  for (const auto& worker : workers_) out.push_back(worker->stats());
  return out;
}

std::unique_ptr<Dispatcher> make_dispatcher(const config::Alerting& a, const std::string& cluster,
                                            std::function<void(const std::string&)> log) {
  auto dispatcher = std::make_unique<Dispatcher>();
  const auto queue = static_cast<std::size_t>(a.queue_size);
  const int retries = static_cast<int>(a.webhook_max_retries);
  auto add = [&](std::unique_ptr<Channel> channel, int channel_retries) {
    dispatcher->add(std::make_unique<ChannelWorker>(std::move(channel), queue, channel_retries,
                                                    a.webhook_backoff_s, log));
  };
  if (a.log) add(log_channel(log), 0);
  if (!a.webhook_url.empty()) add(webhook_channel(a.webhook_url, a.webhook_timeout_s, cluster), retries);
  if (!a.alertmanager_url.empty())
    add(alertmanager_channel(a.alertmanager_url, a.webhook_timeout_s, cluster), retries);
  if (!a.smtp_host.empty() && !a.smtp_to.empty())
    add(smtp_channel(a.smtp_host, static_cast<long>(a.smtp_port), a.smtp_from, a.smtp_to, a.webhook_timeout_s,
                     cluster),
        retries);
  return dispatcher;
}

}  // namespace hpcmon::alerts
