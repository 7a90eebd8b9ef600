#include "hpcmon/sampler/multiplex.hpp"

namespace hpcmon::sampler {

ScaledCount scale_multiplexed(std::uint64_t raw, std::uint64_t time_enabled_ns, std::uint64_t time_running_ns) {
  ScaledCount out;
  if (time_running_ns >= time_enabled_ns) {  // ran all the time (or times not kept): exact
    out.value = static_cast<double>(raw);
    return out;
  }
  if (time_running_ns == 0) {
    out.never_ran = true;
    out.scaled = true;
    return out;
  }
  // long double keeps raw * enabled exact well past 2^64 before the division.
  out.value = static_cast<double>(static_cast<long double>(raw) * static_cast<long double>(time_enabled_ns) /
                                  static_cast<long double>(time_running_ns));
  out.scaled = true;
  return out;
}

}  // namespace hpcmon::sampler
