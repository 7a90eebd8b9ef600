// Cost of one read of the scheduler's RPC statistics (docs/benchmarks.md, "Scheduler
// statistics"): slurmctld's read through libslurm, slurmdbd's (when Slurm accounts through it),
// the rates and history store of a read, and the whole collection as the daemon runs it.
//   hpcmon_scheduler_bench ROUNDS HISTORY_DIR      (SLURM_CONF of a running cluster)
#include <slurm/slurm.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <functional>
#include <vector>

#include "hpcmon/head/scheduler_stats.hpp"
#include "hpcmon/history.hpp"

using namespace hpcmon;

namespace {

struct Figures {
  double median_us, mean_us, min_us;
};

Figures time_it(int rounds, const std::function<void()>& work) {
  std::vector<double> us;
  for (int i = 0; i < rounds; ++i) {
    const auto start = std::chrono::steady_clock::now();
    work();
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
  }
  std::sort(us.begin(), us.end());
  double sum = 0;
  for (double v : us) sum += v;
  return {us[us.size() / 2], sum / us.size(), us.front()};
}

void print(const char* what, const Figures& f) {
  std::printf("%-44s median %9.1f us  mean %9.1f us  min %9.1f us\n", what, f.median_us, f.mean_us, f.min_us);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s ROUNDS HISTORY_DIR\n", argv[0]);
    return 2;
  }
  const int rounds = std::max(1, std::atoi(argv[1]));
  const std::filesystem::path dir = argv[2];
  slurm_init(nullptr);
  std::string error;
  auto first = head::read_controller_stats(error);
  if (!first) {
    std::fprintf(stderr, "slurmctld: %s\n", error.c_str());
    return 1;
  }
  std::printf("slurmctld table: %zu RPC types, %zu users; %d rounds\n", first->types.size(), first->users.size(), rounds);
  print("slurmctld read (slurm_get_statistics)", time_it(rounds, [&] { head::read_controller_stats(error); }));
  const bool dbd = static_cast<bool>(head::read_dbd_stats(error));
  if (dbd) print("slurmdbd read (connect, get_stats, close)", time_it(rounds, [&] { head::read_dbd_stats(error); }));
  else std::printf("slurmdbd: not read (%s)\n", error.c_str());

  std::filesystem::remove_all(dir);
  history::Options options;
  options.dir = dir;  // the daemon's defaults: fdatasync of the log at every append
  auto store = history::Store::open(options);
  head::RateTracker tracker("slurmctld", head::controller_rpc_name, [](std::uint32_t uid) { return std::to_string(uid); });
  head::SchedulerView view;
  view.cluster = "bench";
  std::int64_t t = first->t_ns;
  tracker.update(*first);
  print("rates of one read (RateTracker::update)", time_it(rounds, [&] {
          head::DaemonReading next = *first;
          next.t_ns = (t += 1000000000);
          for (auto& [id, c] : next.types) c.count += 1, c.time_us += 100;
          view.controller = tracker.update(next);
        }));
  print("history store of one read (fdatasync)", time_it(rounds, [&] { head::store_scheduler_view(*store, view); }));

  config::Scheduler settings;
  settings.slurmdbd = dbd;
  head::Log log(true);
  head::SchedulerCollector collector(settings, "bench", store.get(), log);
  print(dbd ? "whole collection (both daemons, stored)" : "whole collection (slurmctld, stored)",
        time_it(rounds, [&] { collector.collect_once(); }));
  store.reset();
  std::filesystem::remove_all(dir);
  slurm_fini();
  return 0;
}
