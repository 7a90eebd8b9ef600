// store_bench: write and read time and file size of job records of 16, 256 and 4096 ranks
// with 600 samples per series (~10 MPI functions per rank, 4 traffic peers per rank,
// 3 series per rank). Baseline in the same run: the same numbers written raw with fwrite +
// fsync. Usage: store_bench [DIR] [REPEATS]
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "hpcmon/store.hpp"
#include "known_record.hpp"

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// CPU seconds of this process, all threads: the figure a busy machine disturbs least.
double cpu_seconds() {
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return static_cast<double>(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
         static_cast<double>(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1e-6;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// The record's numbers as raw bytes, uncompressed: what any writer has to move at least.
double raw_write_seconds(const fs::path& path, const hpcmon::record::JobRecord& rec) {
  auto t0 = Clock::now();
  std::FILE* f = std::fopen(path.c_str(), "wb");
  for (const auto& r : rec.ranks) std::fwrite(&r.wall_s, sizeof(double), 6, f);
  for (const auto& m : rec.mpi) std::fwrite(m.size_hist.data(), sizeof(std::uint64_t), m.size_hist.size(), f);
  for (const auto& t : rec.traffic) std::fwrite(&t, sizeof t, 1, f);
  for (const auto& s : rec.series) {
    std::fwrite(s.t_ns.data(), sizeof(std::int64_t), s.t_ns.size(), f);
    std::fwrite(s.values.data(), sizeof(double), s.values.size(), f);
  }
  std::fflush(f);
  ::fsync(fileno(f));
  std::fclose(f);
  return seconds_since(t0);
}

}  // namespace

int main(int argc, char** argv) {
  const fs::path dir = argc > 1 ? fs::path(argv[1]) : fs::temp_directory_path() / "hpcmon_store_bench";
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 5;
  const std::size_t samples = 600;
  fs::create_directories(dir);
  double load[3] = {0, 0, 0};
  getloadavg(load, 3);
  std::printf("load average %.2f %.2f %.2f\n", load[0], load[1], load[2]);
  std::printf("%6s %9s %13s %9s %11s %17s %11s %17s %11s %9s\n", "ranks", "write_s", "write_cpu_s", "read_s", "raw_write_s",
              "no_series_write_s", "size_MiB", "no_series_B/rank", "series_MiB", "raw_MiB");
  for (std::int32_t ranks : {16, 256, 4096}) {
    const auto rec = hpcmon::testkit::synthetic_record(ranks, samples);
    auto no_series = rec;
    no_series.series.clear();
    std::vector<double> w, w_cpu, r, raw;
    const fs::path path = dir / ("bench_" + std::to_string(ranks) + ".h5");
    for (int i = 0; i < repeats; ++i) {
      auto t0 = Clock::now();
      const double c0 = cpu_seconds();
      hpcmon::store::write_record(path, rec);
      w.push_back(seconds_since(t0));
      w_cpu.push_back(cpu_seconds() - c0);
      t0 = Clock::now();
      const auto back = hpcmon::store::read_record(path);
      r.push_back(seconds_since(t0));
      if (back.ranks.size() != rec.ranks.size() || back.series.size() != rec.series.size()) {
        std::fprintf(stderr, "store_bench: read back a different record\n");
        return 1;
      }
      raw.push_back(raw_write_seconds(dir / "raw.bin", rec));
    }
    const double size = static_cast<double>(fs::file_size(path));
    const double raw_size = static_cast<double>(fs::file_size(dir / "raw.bin"));
    std::vector<double> w_base;
    for (int i = 0; i < repeats; ++i) {
      auto t0 = Clock::now();
      hpcmon::store::write_record(dir / "no_series.h5", no_series);
      w_base.push_back(seconds_since(t0));
    }
    const double base = static_cast<double>(fs::file_size(dir / "no_series.h5"));
    std::printf("%6d %9.3f %13.3f %9.3f %11.3f %17.3f %11.2f %17.0f %11.2f %9.2f\n", ranks, median(w), median(w_cpu), median(r),
                median(raw), median(w_base), size / (1 << 20), base / ranks, (size - base) / (1 << 20),
                raw_size / (1 << 20));
  }
  fs::remove_all(dir);
  return 0;
}
