// Deltas and rates of kernel counters. A counter narrower than 64 bits wraps; any
// counter can reset (device re-attached, daemon restarted). Neither ever yields a
// negative or absurd rate: a wrap is unwrapped, a reset counts from zero.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>

namespace hpcmon::sampler {

// Increase of a counter of `width_bits` bits (1..64) from `previous` to `current`.
// current < previous is a wrap when the unwrapped step is under half the counter's
// range, otherwise a reset, and then the increase is `current` (counted since the reset).
std::uint64_t counter_delta(std::uint64_t previous, std::uint64_t current, unsigned width_bits = 64);

// Per-second rates of named counters from successive readings.
class RateTracker {
 public:
  // Rate since the previous update of `key`; nullopt on the first reading or when
  // time did not advance.
  std::optional<double> update(const std::string& key, std::uint64_t value, std::int64_t time_ns,
                               unsigned width_bits = 64);
  void forget(const std::string& key) { last_.erase(key); }
  std::size_t size() const { return last_.size(); }

 private:
  struct Reading {
    std::uint64_t value;
    std::int64_t time_ns;
  };
  std::unordered_map<std::string, Reading> last_;
};

}  // namespace hpcmon::sampler
