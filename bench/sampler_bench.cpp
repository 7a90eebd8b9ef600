// sampler_bench: the cost of one sample of each papi_sampler source, and the CPU share
// of a sampler that samples every source once a second, measured in one run.
// The null source is the baseline (the cost of the loop and the Source call itself).
// The PAPI source reads an SDE counter this program registers: the only PAPI path that
// counts on a machine without a PMU.
// Usage: sampler_bench [ITERATIONS] [SECONDS_AT_1HZ]
#include <dirent.h>
#include <sde_lib.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "hpcmon/sampler.hpp"

namespace hs = hpcmon::sampler;

namespace {

double now_ns(clockid_t clock) {
  timespec ts{};
  clock_gettime(clock, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

std::vector<pid_t> all_pids() {
  std::vector<pid_t> pids;
  if (DIR* dir = opendir("/proc")) {
    while (dirent* e = readdir(dir))
      if (e->d_name[0] >= '1' && e->d_name[0] <= '9') pids.push_back(static_cast<pid_t>(std::atoi(e->d_name)));
    closedir(dir);
  }
  return pids;
}

struct Cost {
  double median_ns, p90_ns, cpu_ns;  // wall per sample (median, 90th percentile), CPU per sample (mean)
  std::size_t metrics;
};

Cost measure(hs::Source& source, int iterations) {
  std::vector<double> wall(static_cast<std::size_t>(iterations));
  std::vector<hs::Metric> out;
  out.reserve(4096);
  source.sample(out);  // warm: first sample allocates rate state
  const double cpu0 = now_ns(CLOCK_THREAD_CPUTIME_ID);
  for (auto& w : wall) {
    out.clear();
    const double t0 = now_ns(CLOCK_MONOTONIC);
    source.sample(out);
    w = now_ns(CLOCK_MONOTONIC) - t0;
  }
  const double cpu = (now_ns(CLOCK_THREAD_CPUTIME_ID) - cpu0) / iterations;
  std::sort(wall.begin(), wall.end());
  return {wall[wall.size() / 2], wall[wall.size() * 9 / 10], cpu, out.size()};
}

}  // namespace

int main(int argc, char** argv) {
  const int iterations = argc > 1 ? std::atoi(argv[1]) : 2000;
  const int seconds = argc > 2 ? std::atoi(argv[2]) : 10;

  static long long sde_work = 0;
  papi_handle_t sde = papi_sde_init("SAMPLER_BENCH");
  papi_sde_register_counter(sde, "WORK", PAPI_SDE_RO | PAPI_SDE_DELTA, PAPI_SDE_long_long, &sde_work);

  const std::vector<pid_t> pids = all_pids();
  hs::CounterOptions perf_only, rusage_only, thread_perf;
  perf_only.try_papi = false;
  rusage_only.try_papi = rusage_only.try_perf_event = false;
  thread_perf.try_papi = false;
  thread_perf.scope = hs::CounterScope::thread;

  struct Entry {
    std::string label;
    std::unique_ptr<hs::Source> source;
  };
  std::vector<Entry> entries;
  entries.push_back({"null (baseline)", std::make_unique<hs::NullSource>()});
  entries.push_back({"counters: papi, 1 SDE event", std::make_unique<hs::CounterSource>(std::vector<std::string>{"sde:::SAMPLER_BENCH::WORK"})});
  entries.push_back({"counters: perf_event, 6 sw events, process", std::make_unique<hs::CounterSource>(std::vector<std::string>{}, perf_only)});
  entries.push_back({"counters: perf_event, task-clock, thread", std::make_unique<hs::CounterSource>(std::vector<std::string>{"task-clock"}, thread_perf)});
  entries.push_back({"counters: proc (getrusage)", std::make_unique<hs::CounterSource>(std::vector<std::string>{}, rusage_only)});
  entries.push_back({"proc.process: this process", std::make_unique<hs::ProcessSource>(std::vector<pid_t>{getpid()})});
  entries.push_back({"proc.process: all " + std::to_string(pids.size()) + " processes", std::make_unique<hs::ProcessSource>(pids)});
  for (auto& s : hs::make_system_sources()) entries.push_back({std::string(s->name()), std::move(s)});

  std::printf("sampler_bench: %d samples per source, then %d s at 1 Hz (all sources)\n", iterations, seconds);
  std::printf("%-56s %-10s %12s %12s %12s %8s\n", "source", "quality", "median ns", "p90 ns", "cpu ns", "metrics");
  for (auto& e : entries) {
    if (std::string why = e.source->start(); !why.empty()) {
      std::printf("%-56s not started: %s\n", e.label.c_str(), why.c_str());
      continue;
    }
    if (auto* c = dynamic_cast<hs::CounterSource*>(e.source.get())) e.label += " [" + c->counters()->source() + "]";
    Cost c = measure(*e.source, iterations);
    std::printf("%-56s %-10s %12.0f %12.0f %12.0f %8zu\n", e.label.c_str(), std::string(e.source->quality()).c_str(),
                c.median_ns, c.p90_ns, c.cpu_ns, c.metrics);
  }

  // The 1 Hz sampler: every source above once a second, on its own thread, as a node
  // agent would. Its CPU share is its thread CPU time over wall time.
  double thread_cpu_ns = 0, wall_ns = 0;
  std::size_t metrics = 0;
  std::thread sampler([&] {
    std::vector<hs::Metric> out;
    const double cpu0 = now_ns(CLOCK_THREAD_CPUTIME_ID), wall0 = now_ns(CLOCK_MONOTONIC);
    auto next = std::chrono::steady_clock::now();
    for (int tick = 0; tick < seconds; ++tick) {
      out.clear();
      for (auto& e : entries) e.source->sample(out);
      metrics = out.size();
      next += std::chrono::seconds(1);
      std::this_thread::sleep_until(next);
    }
    thread_cpu_ns = now_ns(CLOCK_THREAD_CPUTIME_ID) - cpu0;
    wall_ns = now_ns(CLOCK_MONOTONIC) - wall0;
  });
  sampler.join();
  std::uint64_t errors = 0;
  for (auto& e : entries) errors += e.source->errors();
  std::printf("1 Hz sampler, all sources (%zu metrics per tick), %d s: %.3f ms CPU per tick, CPU share %.4f %% of one core\n",
              metrics, seconds, thread_cpu_ns / seconds * 1e-6, 100.0 * thread_cpu_ns / wall_ns);
  std::printf("sample errors: %llu\n", static_cast<unsigned long long>(errors));
  return 0;
}
