// hpcmon-sample: prints what the sampler reads on this machine: every source with its
// quality (and the one line saying why a better counter source dropped out), this
// process's counters, a process and system sample, the topology and binding.
// The counter events come from hpc.events of the configuration file (--config FILE, else
// $HPCMON_CONFIG or /etc/hpcmon/... if present, else the built-in defaults); --events overrides.
// Usage: hpcmon-sample [--config FILE] [--events E1,E2,...] [--pid PID]... [--interval-ms N]
// Exit status: 0 fine, 2 bad configuration, 1 usage error (as hpcmon-config).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>

#include "hpcmon/config.hpp"
#include "hpcmon/sampler.hpp"

namespace hs = hpcmon::sampler;

namespace {

std::vector<std::string> split(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    auto comma = text.find(',', start);
    if (comma == std::string::npos) comma = text.size();
    if (comma > start) out.push_back(text.substr(start, comma - start));
    start = comma + 1;
  }
  return out;
}

void print_metrics(const std::vector<hs::Metric>& metrics) {
  for (const auto& m : metrics) std::printf("  %-40s %16.6g %s\n", m.name.c_str(), m.value, m.unit.c_str());
}

int usage() {
  std::fprintf(stderr, "usage: hpcmon-sample [--config FILE] [--events E1,E2,...] [--pid PID]... [--interval-ms N]\n");
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> events;
  bool events_given = false;
  std::string config_file;
  std::vector<pid_t> pids;
  int interval_ms = 200;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--events" && i + 1 < argc) events = split(argv[++i]), events_given = true;
    else if (arg == "--config" && i + 1 < argc) config_file = argv[++i];
    else if (arg == "--pid" && i + 1 < argc) pids.push_back(static_cast<pid_t>(std::atoi(argv[++i])));
    else if (arg == "--interval-ms" && i + 1 < argc) interval_ms = std::atoi(argv[++i]);
    else return usage();
  }
  if (pids.empty()) pids.push_back(getpid());
  if (!events_given) {
    namespace cfg = hpcmon::config;
    try {
      std::filesystem::path path = config_file.empty() ? cfg::default_path() : std::filesystem::path(config_file);
      cfg::Config config = config_file.empty() && !std::filesystem::exists(path) ? cfg::defaults() : cfg::load_file(path);
      events = config.hpc.events;
      std::printf("config: %s\n", config.source.c_str());
    } catch (const cfg::ConfigError& error) {
      std::fprintf(stderr, "%s\n", error.what());
      return 2;
    }
  }

  // Counters first: the fallback line belongs to them.
  auto counters = hs::CounterSet::open(events);
  std::printf("counters: source=%s quality=%s requested=", counters.source().c_str(), counters.quality().c_str());
  for (std::size_t i = 0; i < events.size(); ++i) std::printf("%s%s", i ? "," : "", events[i].c_str());
  std::printf("\n");
  if (!counters.fallback_reason().empty()) std::printf("fallback: %s\n", counters.fallback_reason().c_str());

  std::vector<std::unique_ptr<hs::Source>> sources;
  sources.push_back(std::make_unique<hs::ProcessSource>(pids));
  for (auto& s : hs::make_system_sources()) sources.push_back(std::move(s));

  std::printf("sources:\n");
  std::printf("  %-16s %-12s %s\n", ("counters." + counters.source()).c_str(), counters.quality().c_str(),
              "counters of this process (PAPI, perf_event or getrusage)");
  std::vector<hs::Source*> running;
  for (auto& s : sources) {
    std::string why = s->start();
    std::printf("  %-16s %-12s %s%s\n", std::string(s->name()).c_str(), std::string(s->quality()).c_str(),
                std::string(s->measures()).c_str(), why.empty() ? "" : ("  [not started: " + why + "]").c_str());
    if (why.empty()) running.push_back(s.get());
  }

  // Two samples so rates have a delta; the counters see the same interval.
  counters.start();
  std::vector<hs::Metric> ignored;
  for (auto* s : running) s->sample(ignored);
  volatile double sink = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(interval_ms / 2);
  while (std::chrono::steady_clock::now() < until) sink = sink + 1.0;  // some work for the counters to see
  std::this_thread::sleep_for(std::chrono::milliseconds(interval_ms / 2));

  std::printf("counter values (%d ms, half busy):\n", interval_ms);
  for (const auto& v : counters.read())
    std::printf("  %-40s %16.6g  source=%s scaled=%s enabled=%.0f ns running=%.0f ns\n", v.name.c_str(), v.value,
                v.source.c_str(), v.scaled ? "yes" : "no", v.time_enabled_ns, v.time_running_ns);
  counters.stop();
  for (auto* s : running) {
    std::vector<hs::Metric> metrics;
    s->sample(metrics);
    std::printf("%s:\n", std::string(s->name()).c_str());
    print_metrics(metrics);
  }

  std::printf("topology: %s\n", hs::topology_summary().one_line().c_str());
  hs::Binding binding = hs::current_binding();
  std::printf("binding: cpuset=%s numa_node=%d\n", binding.cpuset.c_str(), binding.numa_node);
  char cwd[4096];
  if (getcwd(cwd, sizeof cwd)) {
    hs::BlockDevice dev = hs::block_device_for_path(cwd);
    std::printf("block device of %s: %s\n", cwd,
                dev.error.empty() ? (dev.name + " (disk " + dev.whole_disk + ")").c_str() : dev.error.c_str());
  }
  std::uint64_t errors = 0;
  for (auto* s : running) errors += s->errors();
  std::printf("sample errors: %llu\n", static_cast<unsigned long long>(errors));
  return 0;
}
