// Internal: the three counter sources behind CounterSet. Each opener either returns a
// backend or nullptr with a one-line reason; CounterSet chains them in order.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "hpcmon/sampler/counters.hpp"

namespace hpcmon::sampler {

class CounterBackend {
 public:
  virtual ~CounterBackend() = default;
  virtual void start() = 0;
  virtual void read(std::vector<CounterValue>& out) = 0;
  virtual void stop() = 0;
  virtual std::vector<std::string> names() const = 0;
  virtual std::string quality() const = 0;
  // Set when the backend serves only part of what was asked (perf without the hardware events).
  virtual std::string partial_reason() const { return {}; }
};

std::unique_ptr<CounterBackend> open_papi(const std::vector<std::string>& events, const CounterOptions& options,
                                          std::string& why_not);
std::unique_ptr<CounterBackend> open_perf(const std::vector<std::string>& events, const CounterOptions& options,
                                          std::string& why_not);
std::unique_ptr<CounterBackend> open_rusage(const CounterOptions& options, std::string& why_not);

std::int64_t monotonic_ns();

// Events that failed, grouped by reason so the fallback line stays short:
// "PAPI_TOT_INS, PAPI_TOT_CYC: Event does not exist; foo: No such file or directory".
class FailedEvents {
 public:
  void add(const std::string& event, const std::string& reason);
  bool empty() const { return groups_.empty(); }
  std::string text() const;

 private:
  std::vector<std::pair<std::string, std::string>> groups_;  // (reason, events)
};

}  // namespace hpcmon::sampler
