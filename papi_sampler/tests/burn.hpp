// Test helper: burn CPU on the calling thread until its own CPU clock advanced `seconds`.
#pragma once

#include <time.h>

namespace sampler_test {

inline double clock_seconds(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

inline void burn_thread_cpu(double seconds) {
  const double start = clock_seconds(CLOCK_THREAD_CPUTIME_ID);
  volatile unsigned long sink = 0;
  while (clock_seconds(CLOCK_THREAD_CPUTIME_ID) - start < seconds)
    for (int i = 0; i < 10000; ++i) sink = sink + static_cast<unsigned long>(i);
}

}  // namespace sampler_test
