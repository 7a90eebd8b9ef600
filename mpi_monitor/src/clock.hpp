// The rank's clock: the tick source of every timed call and trace event, and the estimate of
// this rank's clock offset to rank 0 (docs/tracing.md, "Clock alignment").
// Ticks are the TSC only when /proc/cpuinfo reports both constant_tsc and nonstop_tsc (a
// rate that neither varies with frequency nor stops in deep idle); otherwise they are
// CLOCK_MONOTONIC nanoseconds from clock_gettime (vDSO, no system call). Either way they are
// calibrated against CLOCK_MONOTONIC between MPI_Init and MPI_Finalize.
// Must never: read a file or make a system call on the hot path (read_ticks is a load,
// a predictable branch and rdtsc).
#pragma once

#include <mpi.h>
#include <x86intrin.h>

#include <cstdint>
#include <ctime>

namespace hpcmon::mpi {

extern bool g_ticks_tsc;  // chosen once by clock_select(), before any tick is read

inline std::uint64_t read_ticks() {
  if (__builtin_expect(g_ticks_tsc, 1)) return __rdtsc();
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return std::uint64_t(ts.tv_sec) * 1000000000ull + std::uint64_t(ts.tv_nsec);
}

// At the first MPI_Init (cold): TSC or clock_gettime. HPCMON_TEST_CLOCK=monotonic forces
// clock_gettime (a test knob for machines whose TSC qualifies).
void clock_select();
const char* clock_source_name();  // "tsc" or "clock_gettime"

// The rank's view of wall time: one realtime reading at MPI_Init, advanced by the monotonic
// clock (no NTP step inside a run), plus the test knob HPCMON_TEST_CLOCK_SKEW_NS, which
// shifts this process's clock by that many nanoseconds (signed) to test the alignment.
struct RankClock {
  std::int64_t real0 = 0, mono0 = 0;  // CLOCK_REALTIME and CLOCK_MONOTONIC at MPI_Init
  std::uint64_t tick0 = 0;            // read_ticks() at the same moment
  std::int64_t skew_ns = 0;           // test knob, 0 in production
  double ns_per_tick = 1.0;           // calibration, refined at MPI_Finalize

  void start();  // takes the three readings and the knob
  std::int64_t now_ns() const;
  std::int64_t ticks_to_ns(std::uint64_t ticks) const {
    return real0 + skew_ns + std::int64_t(double(std::int64_t(ticks - tick0)) * ns_per_tick);
  }
  void calibrate();  // ns_per_tick from MPI_Init to now (ticks against CLOCK_MONOTONIC)
};

// One estimate of this rank's clock minus rank 0's, from the intersection of the bounds of
// kClockRounds ping-pongs (each no wider than its round trip).
struct ClockOffset {
  std::int64_t offset_ns = 0;
  std::int64_t rtt_ns = 0;   // width of the offset's uncertainty interval: the error is below half of it
  std::int64_t at_ns = 0;    // this rank's clock at that exchange
};

inline constexpr int kClockRounds = 16;  // exchanges per rank; their bounds intersect

// Collective over `comm` (a private duplicate of MPI_COMM_WORLD): rank 0 answers each rank
// in turn, kClockRounds exchanges each; calls PMPI_* only. Rank 0 gets {0, 0, now}.
ClockOffset clock_offset(MPI_Comm comm, int rank, int size, const RankClock& clock);

// Drift of this rank's clock against rank 0's, in ns per second (ppb), from the two estimates.
double clock_drift(const ClockOffset& init, const ClockOffset& final_);

// A time of this rank's clock on rank 0's clock: the offset interpolated between the two
// estimates (the MPI_Init one alone when the second is missing).
inline std::int64_t to_rank0_clock(std::int64_t t, const ClockOffset& init, double drift_ns_per_s) {
  return t - init.offset_ns - std::int64_t(double(t - init.at_ns) * drift_ns_per_s * 1e-9);
}

}  // namespace hpcmon::mpi
