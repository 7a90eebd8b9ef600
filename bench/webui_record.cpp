// Writes synthetic job records (hdf5_store's testkit: ~10 MPI functions per rank, 4-neighbour
// traffic, 3 series of 600 samples per rank) for the dashboard's record endpoint benchmark:
// webui_record DIR RANKS... -> DIR/<user>/<date>/bench.<RANKS>.0.r0.0.h5 (job id = RANKS).
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "hpcmon/store.hpp"
#include "known_record.hpp"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::fprintf(stderr, "usage: webui_record DIR RANKS...\n");
    return 2;
  }
  const auto now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                       std::chrono::system_clock::now().time_since_epoch()).count();
  for (int i = 2; i < argc; ++i) {
    const int ranks = std::atoi(argv[i]);
    auto rec = hpcmon::testkit::synthetic_record(ranks, 600);
    rec.job.key = {"bench", std::to_string(ranks), "0", 0, 0};
    rec.job.job_name = "bench-" + std::to_string(ranks);
    const auto path = hpcmon::store::record_path(argv[1], "root", now - 3600000000000LL, rec.job.key);
    hpcmon::store::write_record(path, rec);
    std::printf("%s\n", path.c_str());
  }
  return 0;
}
