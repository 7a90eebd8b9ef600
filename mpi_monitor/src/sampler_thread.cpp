#include "sampler_thread.hpp"

#include "clock.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#include <x86intrin.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>

#include "lifecycle.hpp"
#include "live_table_writer.hpp"
#include "rank_summary.hpp"
#include "runtime.hpp"

namespace hpcmon::mpi {
namespace {

namespace fmt = live::format;

struct Sampler {
  SamplerSetup setup;
  pthread_t thread{};
  pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
  pthread_cond_t wake;
  bool running = false;  // a thread exists (false again in a forked child)
  bool stop = false;
  int statm_fd = -1;
  std::uint64_t tick = 0;
  bool named_counters = false;
};
Sampler g_sampler;
bool g_atfork_registered = false;

std::uint64_t rss_bytes(int fd) {
  char buf[128];
  ssize_t n = fd >= 0 ? pread(fd, buf, sizeof buf - 1, 0) : -1;
  if (n <= 0) return 0;
  buf[n] = '\0';
  unsigned long long size = 0, resident = 0;
  if (std::sscanf(buf, "%llu %llu", &size, &resident) != 2) return 0;
  return resident * static_cast<std::uint64_t>(sysconf(_SC_PAGESIZE));
}

std::uint64_t ns_of(const timeval& tv) { return std::uint64_t(tv.tv_sec) * 1000000000ull + std::uint64_t(tv.tv_usec) * 1000ull; }

double calibrate(const SamplerSetup& s) {
  const std::uint64_t tsc = read_ticks();
  const std::int64_t mono = now_ns(CLOCK_MONOTONIC);
  if (mono - s.mono0 < 1000000 || tsc <= s.tsc0) return 0.0;
  return double(mono - s.mono0) / double(tsc - s.tsc0);
}

// One point: everything cumulative since MPI_Init. Runs on the sampler thread, or on the
// lifecycle thread once the sampler is joined (the final point).
void sample(Sampler& sp, bool last) {
  fmt::Header* h = live_header();
  if (!h) return;
  const SamplerSetup& s = sp.setup;
  fmt::SeriesPoint p{};
  p.t_ns = now_ns(CLOCK_REALTIME);
  p.rss_bytes = rss_bytes(sp.statm_fd);
  std::uint64_t calls = 0, ticks = 0;
  const std::uint64_t threads = __atomic_load_n(&h->threads_used, __ATOMIC_RELAXED);
  for (std::uint64_t t = 0; t < threads && t < std::uint64_t(kMaxThreads); ++t) {
    const ThreadTables& tb = g_tables[t];
    for (int f = 0; f < kFunctionCount; ++f) calls += __atomic_load_n(&tb.fn[f].calls, __ATOMIC_RELAXED);
    ticks += __atomic_load_n(&tb.ticks_in_mpi, __ATOMIC_RELAXED);
  }
  const double ns_per_tick = calibrate(s);
  p.mpi_calls = calls;
  p.mpi_ns = std::uint64_t(double(ticks) * ns_per_tick);
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  p.user_cpu_ns = ns_of(u.ru_utime) - ns_of(s.usage0.ru_utime);
  p.sys_cpu_ns = ns_of(u.ru_stime) - ns_of(s.usage0.ru_stime);
  CounterReading reading;
  if (s.counters_shared && s.counters && s.counters_api) s.counters_api->counters_read(s.counters, &reading);
  const int n = reading.count < int(fmt::kCounterSlots) ? reading.count : int(fmt::kCounterSlots);
  for (int i = 0; i < n; ++i) p.counters[i] = reading.values[i];

  live_control_begin();
  if (!sp.named_counters && n > 0) {
    const char* names[fmt::kCounterSlots];
    for (int i = 0; i < n; ++i) names[i] = reading.names[i];
    live_set_counter_names(names, n);
    sp.named_counters = true;
  }
  if (ns_per_tick > 0) h->ns_per_tick = ns_per_tick;
  h->updated_ns = p.t_ns;
  h->untracked_calls = g_untracked.load(std::memory_order_relaxed);
  live_series_append(p, sp.tick, last);
  live_control_end();
}

void* run(void*) {
  Sampler& sp = g_sampler;
  const std::int64_t interval = sp.setup.interval_ns;
  const std::int64_t start = now_ns(CLOCK_MONOTONIC);
  pthread_mutex_lock(&sp.lock);
  while (!sp.stop) {
    pthread_mutex_unlock(&sp.lock);
    sample(sp, false);
    const std::int64_t now = now_ns(CLOCK_MONOTONIC);
    // The next tick on the grid; ticks missed while the rank was descheduled are skipped.
    std::uint64_t next_tick = std::uint64_t((now - start) / interval) + 1;
    if (next_tick <= sp.tick) next_tick = sp.tick + 1;
    const std::int64_t due = start + std::int64_t(next_tick) * interval;
    timespec until{time_t(due / 1000000000), long(due % 1000000000)};
    pthread_mutex_lock(&sp.lock);
    while (!sp.stop && pthread_cond_timedwait(&sp.wake, &sp.lock, &until) == 0) {
    }
    sp.tick = next_tick;
  }
  pthread_mutex_unlock(&sp.lock);
  return nullptr;
}

// In a forked child only the forking thread exists: forget the sampler, and stop writing
// into the parent's live table (the mapping is shared with it).
void after_fork_in_child() {
  g_sampler.running = false;
  g_sampler.stop = false;
  pthread_mutex_init(&g_sampler.lock, nullptr);
  g_recording = false;
  g_active = false;
}

}  // namespace

bool sampler_start(const SamplerSetup& setup) {
  Sampler& sp = g_sampler;
  if (sp.running || !live_header()) return false;
  sp.setup = setup;
  if (sp.setup.interval_ns < 1000000) sp.setup.interval_ns = 1000000;
  sp.stop = false;
  sp.tick = 0;
  if (sp.statm_fd < 0) sp.statm_fd = open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&sp.wake, &ca);
  pthread_condattr_destroy(&ca);
  if (!g_atfork_registered) {
    pthread_atfork(nullptr, nullptr, after_fork_in_child);
    g_atfork_registered = true;
  }
  // The thread takes no signal meant for the program.
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 256 * 1024);
  const int rc = pthread_create(&sp.thread, &attr, run, nullptr);
  pthread_attr_destroy(&attr);
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  if (rc != 0) return false;
  pthread_setname_np(sp.thread, "hpcmon-sampler");
  sp.running = true;
  return true;
}

void sampler_stop() {
  Sampler& sp = g_sampler;
  if (sp.running) {
    pthread_mutex_lock(&sp.lock);
    sp.stop = true;
    pthread_cond_signal(&sp.wake);
    pthread_mutex_unlock(&sp.lock);
    pthread_join(sp.thread, nullptr);
    sp.running = false;
    ++sp.tick;
    sample(sp, true);
  }
  if (sp.statm_fd >= 0) close(sp.statm_fd);
  sp.statm_fd = -1;
}

double sampler_ns_per_tick() { return calibrate(g_sampler.setup); }

}  // namespace hpcmon::mpi
