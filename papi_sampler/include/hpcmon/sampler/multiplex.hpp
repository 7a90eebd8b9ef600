// Scaling of a multiplexed counter: when the kernel or PAPI shares too few hardware
// counters between events, an event runs only part of the time it is enabled and its
// count is extrapolated as raw * enabled / running. Such values are flagged `scaled`.
#pragma once

#include <cstdint>

namespace hpcmon::sampler {

struct ScaledCount {
  double value = 0;
  bool scaled = false;     // extrapolated: running < enabled
  bool never_ran = false;  // enabled but never on a counter: no value can be given
};

ScaledCount scale_multiplexed(std::uint64_t raw, std::uint64_t time_enabled_ns, std::uint64_t time_running_ns);

}  // namespace hpcmon::sampler
