// Samples the head's own node-wide metrics (system_collector.hpp).
#include "hpcmon/head/system_collector.hpp"

#include <chrono>

#include "hpcmon/sampler/system_metrics.hpp"

namespace hpcmon::head {
namespace {
std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}
}  // namespace

SystemCollector::SystemCollector(double interval_s, std::size_t window)
    : interval_s_(interval_s), window_(window ? window : 1) {}

SystemCollector::~SystemCollector() { stop(); }

void SystemCollector::start() {
  for (auto& source : sampler::make_system_sources()) {
    const std::string reason = source->start();
    if (reason.empty())
      sources_.push_back(std::move(source));
    else
      unavailable_.push_back(std::string(source->name()) + ": " + reason);
  }
  sample_now();
  thread_ = std::thread([this] { loop(); });
}

void SystemCollector::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  for (auto& source : sources_) source->stop();
  sources_.clear();
}

void SystemCollector::sample_now() {
  std::lock_guard sampling(sample_mutex_);
  auto snapshot = std::make_shared<Snapshot>();
  snapshot->t_ns = now_ns();
  for (auto& source : sources_) source->sample(snapshot->metrics);
  std::lock_guard lock(mutex_);
  latest_ = snapshot;
  window_samples_.push_back(std::move(snapshot));
  while (window_samples_.size() > window_) window_samples_.pop_front();
}

void SystemCollector::loop() {
  const auto period = std::chrono::duration<double>(interval_s_);
  std::unique_lock lock(mutex_);
  while (!wake_.wait_for(lock, period, [this] { return stopping_; })) {
    lock.unlock();
    sample_now();
    lock.lock();
  }
}

std::shared_ptr<const Snapshot> SystemCollector::latest() const {
  std::lock_guard lock(mutex_);
  return latest_;
}

std::vector<std::shared_ptr<const Snapshot>> SystemCollector::history(std::int64_t start_ns,
                                                                       std::int64_t end_ns,
                                                                       std::int64_t step_ns) const {
  std::vector<std::shared_ptr<const Snapshot>> out;
  std::lock_guard lock(mutex_);
  std::int64_t next_bucket = start_ns;
  for (const auto& snapshot : window_samples_) {
    if (snapshot->t_ns < start_ns || snapshot->t_ns > end_ns) continue;
    if (step_ns > 0) {
      if (snapshot->t_ns < next_bucket) continue;
      next_bucket = start_ns + ((snapshot->t_ns - start_ns) / step_ns + 1) * step_ns;
    }
    out.push_back(snapshot);
  }
  return out;
}

std::vector<std::string> SystemCollector::sources() const {
  std::vector<std::string> names;
  for (const auto& source : sources_) names.emplace_back(source->name());
  return names;
}

std::vector<std::string> SystemCollector::unavailable() const { return unavailable_; }

}  // namespace hpcmon::head
