// The head node's own system metrics through papi_sampler's node-wide sources, sampled on
// one thread at a fixed period, with a bounded in-memory window for /metrics/history.
// Never: blocks readers on a sample (readers take a shared snapshot pointer).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "hpcmon/sampler/source.hpp"

namespace hpcmon::head {

struct Snapshot {
  std::int64_t t_ns = 0;
  std::vector<sampler::Metric> metrics;
};

class SystemCollector {
 public:
  // `window` samples are kept; one every `interval_s`.
  SystemCollector(double interval_s, std::size_t window);
  ~SystemCollector();
  void start();  // first sample taken before returning
  void stop();
  void sample_now();
  std::shared_ptr<const Snapshot> latest() const;
  // Samples with start_ns <= t <= end_ns, at most one per `step_ns` bucket (0: all).
  std::vector<std::shared_ptr<const Snapshot>> history(std::int64_t start_ns, std::int64_t end_ns,
                                                       std::int64_t step_ns) const;
  double interval_s() const { return interval_s_; }
  std::vector<std::string> sources() const;      // names of the sources that started
  std::vector<std::string> unavailable() const;  // "name: reason" of those that did not

 private:
  void loop();
  double interval_s_;
  std::size_t window_;
  std::vector<std::unique_ptr<sampler::Source>> sources_;
  std::vector<std::string> unavailable_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::shared_ptr<const Snapshot> latest_;
  std::deque<std::shared_ptr<const Snapshot>> window_samples_;
  std::thread thread_;
  std::mutex sample_mutex_;  // one sampling at a time
};

}  // namespace hpcmon::head
