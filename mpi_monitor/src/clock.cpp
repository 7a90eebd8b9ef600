#include "clock.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <cstring>

#include "cpuinfo_tsc.hpp"
#include "mpi_api.hpp"

namespace hpcmon::mpi {

bool g_ticks_tsc = true;

namespace {

bool g_selected = false;
constexpr long kWaitSleepMaxNs = 500000;  // a rank waiting for its turn wakes at least every 0.5 ms

std::int64_t read_ns(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return std::int64_t(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

}  // namespace

void clock_select() {
  if (g_selected) return;
  g_selected = true;
  bool tsc = false;
  // The first processor's block is enough: every CPU of a node reports the same TSC flags.
  int fd = ::open("/proc/cpuinfo", O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    static char buf[16384];
    ssize_t n = ::read(fd, buf, sizeof buf - 1);
    ::close(fd);
    if (n > 0) {
      buf[n] = '\0';
      tsc = cpuinfo_invariant_tsc(buf);
    }
  }
  if (const char* force = std::getenv("HPCMON_TEST_CLOCK"); force && std::strcmp(force, "monotonic") == 0) tsc = false;
  g_ticks_tsc = tsc;
}

const char* clock_source_name() { return g_ticks_tsc ? "tsc" : "clock_gettime"; }

void RankClock::start() {
  if (const char* v = std::getenv("HPCMON_TEST_CLOCK_SKEW_NS"); v && *v) skew_ns = std::strtoll(v, nullptr, 10);
  real0 = read_ns(CLOCK_REALTIME);
  mono0 = read_ns(CLOCK_MONOTONIC);
  tick0 = read_ticks();
  ns_per_tick = 1.0;  // exact for clock_gettime ticks; the TSC's rate is set by calibrate()
}

std::int64_t RankClock::now_ns() const { return real0 + skew_ns + (read_ns(CLOCK_MONOTONIC) - mono0); }

void RankClock::calibrate() {
  const std::uint64_t t = read_ticks();
  const std::int64_t mono = read_ns(CLOCK_MONOTONIC);
  if (t > tick0 && mono - mono0 > 1000000) ns_per_tick = double(mono - mono0) / double(t - tick0);
}

ClockOffset clock_offset(MPI_Comm comm, int rank, int size, const RankClock& clock) {
  ClockOffset best;
  best.at_ns = clock.now_ns();
  if (size <= 1) return best;
  const int tag = 7001;
  if (rank == 0) {
    for (int r = 1; r < size; ++r) {
      // Rank r waits for this turn asleep (wait_gently), then measures round trips.
      const std::int64_t go = 0;
      g_mpi.Send(&go, 1, g_mpi.int64, r, tag, comm);
      for (int k = 0; k < kClockRounds; ++k) {
        std::int64_t ping = 0;
        g_mpi.Recv(&ping, 1, g_mpi.int64, r, tag, comm, MPI_STATUS_IGNORE);
        const std::int64_t t0 = clock.now_ns();
        g_mpi.Send(&t0, 1, g_mpi.int64, r, tag, comm);
      }
    }
    return best;
  }
  // Each exchange bounds the offset: rank 0 answered between our send and our receive, so
  // t1 - t0 <= offset <= t2 - t0. The bounds of every exchange intersect; the offset is the
  // middle of the intersection, its error at most half its width (never more than half the
  // shortest round trip).
  std::int64_t go = 0;
  MPI_Request turn = g_mpi.request_null;
  g_mpi.Irecv(&go, 1, g_mpi.int64, 0, tag, comm, &turn);
  wait_gently(&turn, kWaitSleepMaxNs);
  std::int64_t lo = INT64_MIN, hi = INT64_MAX, best_rtt = -1;
  for (int k = 0; k < kClockRounds; ++k) {
    const std::int64_t t1 = clock.now_ns();
    std::int64_t t0 = 0;
    g_mpi.Send(&t1, 1, g_mpi.int64, 0, tag, comm);
    g_mpi.Recv(&t0, 1, g_mpi.int64, 0, tag, comm, MPI_STATUS_IGNORE);
    const std::int64_t t2 = clock.now_ns();
    lo = std::max(lo, t1 - t0);
    hi = std::min(hi, t2 - t0);
    if (best_rtt < 0 || t2 - t1 < best_rtt) {
      best_rtt = t2 - t1;
      best.at_ns = t1 + (t2 - t1) / 2;
      best.offset_ns = best.at_ns - t0;  // kept if the bounds do not intersect (a clock step)
    }
  }
  if (lo <= hi) {
    best.offset_ns = lo + (hi - lo) / 2;
    best.rtt_ns = hi - lo;
  } else {
    best.rtt_ns = best_rtt;
  }
  return best;
}

double clock_drift(const ClockOffset& init, const ClockOffset& final_) {
  const std::int64_t span = final_.at_ns - init.at_ns;
  if (span <= 0) return 0.0;
  return double(final_.offset_ns - init.offset_ns) * 1e9 / double(span);
}

}  // namespace hpcmon::mpi
