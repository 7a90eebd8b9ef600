// Cost of the diagnosis per job record: synthetic records of 16, 256 and 4,096 ranks written
// with the store's writer and read back, then analyze() (and to_json) timed, median of runs.
// Each rank has 10 MPI functions with size histograms, 4 traffic peers, and one rank in 16
// computes 30 % longer (so the rules have something to find).
// Usage: hpcmon_diagnosis_bench [FOLDER] (default /tmp); prints one line per size.
#include <time.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "hpcmon/diagnosis.hpp"
#include "hpcmon/store.hpp"

namespace {

hpcmon::record::JobRecord synthetic(int ranks) {
  hpcmon::record::JobRecord rec;
  rec.has_mpi = true;
  rec.job.key = {"bench", "diag-" + std::to_string(ranks), "0", 0, 0};
  rec.job.rank_count = static_cast<std::uint32_t>(ranks);
  rec.job.node_count = static_cast<std::uint32_t>((ranks + 63) / 64);
  rec.job.allocation.cores = static_cast<std::uint32_t>(ranks);
  rec.job.allocation.memory_bytes = std::uint64_t(ranks) << 31;
  rec.job.start_ns = 1700000000000000000LL;
  rec.job.end_ns = rec.job.start_ns + 100000000000LL;
  const char* functions[] = {"MPI_Send",   "MPI_Recv",    "MPI_Isend",  "MPI_Irecv",     "MPI_Waitall",
                             "MPI_Allreduce", "MPI_Bcast", "MPI_Barrier", "MPI_File_write", "MPI_Comm_rank"};
  for (int r = 0; r < ranks; ++r) {
    const double useful = r % 16 == 3 ? 78.0 : 60.0;
    hpcmon::record::RankRow row;
    row.rank = r;
    row.node = "node" + std::to_string(r / 64);
    row.wall_s = 100;
    row.mpi_s = 100 - useful;
    row.user_cpu_s = 95;
    row.rss_hwm_bytes = (512ULL << 20) + std::uint64_t(r % 7) * (1ULL << 20);
    rec.ranks.push_back(row);
    for (int f = 0; f < 10; ++f) {
      hpcmon::record::MpiFunctionRow m;
      m.rank = r;
      m.function = functions[f];
      m.calls = 1000 + std::uint64_t(f) * 100;
      m.bytes = m.calls * 4096;
      m.total_s = row.mpi_s / 10;
      m.min_s = 1e-6;
      m.max_s = 0.01;
      m.size_hist[13] = m.calls;
      rec.mpi.push_back(m);
    }
    for (int p = 1; p <= 4; ++p)
      rec.traffic.push_back({r, 0, (r + p) % ranks, 1000, 4096000});
  }
  return rec;
}

double thread_cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

double median_ms(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path folder = argc > 1 ? argv[1] : "/tmp";
  using clock = std::chrono::steady_clock;
  std::printf("%6s %10s %12s %12s %12s %9s\n", "ranks", "mpi_rows", "analyze_ms", "analyze_cpu", "to_json_ms",
              "findings");
  for (int ranks : {16, 256, 4096}) {
    const auto path = folder / ("hpcmon-diagnosis-bench-" + std::to_string(ranks) + ".h5");
    hpcmon::store::write_record(path, synthetic(ranks));
    const auto rec = hpcmon::store::read_record(path);
    std::filesystem::remove(path);
    std::vector<double> analyze_ms, analyze_cpu_ms, json_ms;
    std::size_t findings = 0;
    for (int run = 0; run < 7; ++run) {
      const double cpu0 = thread_cpu_ms();
      const auto t0 = clock::now();
      const auto analysis = hpcmon::diagnosis::analyze(rec);
      const auto t1 = clock::now();
      analyze_cpu_ms.push_back(thread_cpu_ms() - cpu0);
      const auto json = hpcmon::diagnosis::to_json(analysis);
      const auto t2 = clock::now();
      findings = analysis.findings.size() + (json.empty() ? 1 : 0);
      analyze_ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      json_ms.push_back(std::chrono::duration<double, std::milli>(t2 - t1).count());
    }
    std::printf("%6d %10zu %12.3f %12.3f %12.3f %9zu\n", ranks, rec.mpi.size(), median_ms(analyze_ms),
                median_ms(analyze_cpu_ms), median_ms(json_ms), findings);
  }
  return 0;
}
