// hpcmon-live: prints a rank's live table (docs/live-table.md).
//   hpcmon-live [--series] <file | run directory>...
// A directory prints every mpi-*.live file in it. Exit status 0, or 1 when a file was refused.
#include <sys/stat.h>

#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "hpcmon/live_table.hpp"

namespace {

using hpcmon::live::Snapshot;

void print(const std::string& path, const Snapshot& s, bool series) {
  std::printf("live table %s\n", path.c_str());
  std::printf("state: %s\n", hpcmon::live::state_name(s.state));
  std::printf("job: %s step %s node %s\n", s.job_key.c_str(), s.step.c_str(), s.node.c_str());
  std::printf("rank: %d of %d, pid %" PRId64 "\n", s.rank, s.world_size, s.pid);
  std::printf("calls: %" PRIu64 ", mpi %.6f s, threads %" PRIu64 ", overflows %" PRIu64 ", untracked %" PRIu64
              ", torn rows %" PRIu64 "\n",
              s.total_calls, s.mpi_s, s.threads_used, s.overflows, s.untracked_calls, s.torn_rows);
  std::printf("series: %zu points, cap %u, step %.3f s, %" PRIu64 " decimations\n", s.series.size(), s.series_cap,
              double(s.series_step_ns) * 1e-9, s.decimations);
  std::printf("%-28s %14s %16s %12s\n", "function", "calls", "bytes", "time_s");
  for (const auto& f : s.functions)
    std::printf("%-28s %14" PRIu64 " %16" PRIu64 " %12.6f\n", f.name.c_str(), f.calls, f.bytes, f.total_s);
  if (!s.traffic.empty()) {
    std::printf("%-12s %8s %14s %16s\n", "peer_world", "peer", "messages", "bytes");
    for (const auto& p : s.traffic)
      std::printf("%-12u %8d %14" PRIu64 " %16" PRIu64 "\n", p.world, p.peer, p.messages, p.bytes);
  }
  if (series) {
    std::printf("%-20s %14s %12s %12s %10s %10s", "t_ns", "rss_bytes", "mpi_calls", "mpi_s", "user_s", "sys_s");
    for (const auto& n : s.counter_names) std::printf(" %s", n.c_str());
    std::printf("\n");
    for (const auto& p : s.series) {
      std::printf("%-20" PRId64 " %14" PRIu64 " %12" PRIu64 " %12.6f %10.3f %10.3f", p.t_ns, p.rss_bytes, p.mpi_calls,
                  p.mpi_s, p.user_cpu_s, p.sys_cpu_s);
      for (double c : p.counters) std::printf(" %.0f", c);
      std::printf("\n");
    }
  }
}

}  // namespace

int main(int argc, char** argv) {
  bool series = false;
  std::vector<std::string> paths;
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--series") == 0) series = true;
    else if (std::strcmp(argv[i], "--help") == 0 || std::strcmp(argv[i], "-h") == 0) {
      std::printf("usage: hpcmon-live [--series] <live table file | run directory>...\n");
      return 0;
    } else paths.push_back(argv[i]);
  }
  if (paths.empty()) {
    std::fprintf(stderr, "usage: hpcmon-live [--series] <live table file | run directory>...\n");
    return 2;
  }
  int status = 0;
  for (const std::string& p : paths) {
    struct stat st {};
    std::vector<std::string> files;
    if (stat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
      for (const std::string& n : hpcmon::live::list_live_tables(p)) files.push_back(p + "/" + n);
      if (files.empty()) std::fprintf(stderr, "hpcmon-live: %s: no live tables\n", p.c_str());
    } else {
      files.push_back(p);
    }
    for (const std::string& f : files) {
      try {
        print(f, hpcmon::live::read_live_table(f), series);
      } catch (const hpcmon::live::LiveTableError& e) {
        std::fprintf(stderr, "hpcmon-live: %s\n", e.what());
        status = 1;
      }
    }
  }
  return status;
}
