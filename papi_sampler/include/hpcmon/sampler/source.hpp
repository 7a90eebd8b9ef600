// The shape every metric source has: it names itself, says what it measures and how
// good its numbers are, and has start / sample / stop. A source that cannot start
// returns a one-line reason and drops out; runtime errors are counted, not printed.
// null_source.hpp is the compiled, tested template for a new source.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace hpcmon::sampler {

struct Metric {
  std::string name;   // dotted, e.g. "cpu.total.user_s", "net.lo.rx_bytes"
  double value = 0;
  std::string unit;   // SI: "s", "B", "B/s", "1" (a count), "%"
};

class Source {
 public:
  virtual ~Source() = default;
  virtual std::string_view name() const = 0;      // short id: "proc.process", "perf_event", "null"
  virtual std::string_view measures() const = 0;  // one line for humans
  virtual std::string_view quality() const = 0;   // "exact", "scaled", "software", "unavailable"
  // Empty when started; otherwise one line saying why this source cannot run here.
  virtual std::string start() = 0;
  // Appends this sample's metrics to `out`; never throws, counts failures in errors().
  virtual void sample(std::vector<Metric>& out) = 0;
  virtual void stop() = 0;
  std::uint64_t errors() const { return errors_; }

 protected:
  void count_error() { ++errors_; }

 private:
  std::uint64_t errors_ = 0;
};

}  // namespace hpcmon::sampler
