#include "hpcmon/sampler/rates.hpp"

namespace hpcmon::sampler {

std::uint64_t counter_delta(std::uint64_t previous, std::uint64_t current, unsigned width_bits) {
  if (current >= previous) return current - previous;
  if (width_bits >= 64 || width_bits == 0) return current;  // 64-bit counters do not wrap in practice
  const std::uint64_t range = std::uint64_t{1} << width_bits;
  if (previous >= range) return current;  // previous reading cannot come from this counter width
  const std::uint64_t unwrapped = (range - previous) + current;
  return unwrapped < range / 2 ? unwrapped : current;
}

std::optional<double> RateTracker::update(const std::string& key, std::uint64_t value, std::int64_t time_ns,
                                          unsigned width_bits) {
  auto it = last_.find(key);
  if (it == last_.end()) {
    last_.emplace(key, Reading{value, time_ns});
    return std::nullopt;
  }
  const Reading before = it->second;
  it->second = Reading{value, time_ns};
  if (time_ns <= before.time_ns) return std::nullopt;
  const double seconds = static_cast<double>(time_ns - before.time_ns) * 1e-9;
  return static_cast<double>(counter_delta(before.value, value, width_bits)) / seconds;
}

}  // namespace hpcmon::sampler
