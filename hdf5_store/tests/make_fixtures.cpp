// hpcmon_store_fixtures DIR: writes the files the command-line, golden and h5py tests use.
#include <filesystem>
#include <iostream>

#include "fixtures.hpp"
#include "hpcmon/store.hpp"
#include "known_record.hpp"

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: hpcmon_store_fixtures DIR\n";
    return 1;
  }
  namespace fs = std::filesystem;
  using namespace hpcmon;
  const fs::path dir = argv[1];
  fs::create_directories(dir);
  testkit::write_known(dir / "known.h5");
  testkit::write_truncated(dir / "truncated.h5", fs::file_size(dir / "known.h5") / 2);
  testkit::write_unknown_major(dir / "major2.h5");
  testkit::write_other_minor(dir / "minor_other.h5", 0);
  testkit::write_random_bytes(dir / "random.h5");
  testkit::write_foreign_hdf5(dir / "foreign.h5");
  // User-controlled strings that try to forge terminal output and spreadsheet formulas.
  auto hostile = testkit::known_record();
  hostile.job.job_name = "evil\x1b[2J\nFAKE LINE";
  hostile.job.command_line = "=HYPERLINK(\"x\")";
  hostile.ranks[0].node = "n1,\"q\"";
  store::write_record(dir / "hostile.h5", hostile);
  // Partial records of an 8-rank step: ranks 0-3 and 2-5 (the second ends later).
  auto part = [](std::int32_t first, std::int32_t last, std::int64_t end_ns) {
    auto rec = testkit::synthetic_record(8, 3);
    rec.job.end_ns = end_ns;
    std::erase_if(rec.ranks, [&](const auto& r) { return r.rank < first || r.rank > last; });
    std::erase_if(rec.mpi, [&](const auto& m) { return m.rank < first || m.rank > last; });
    std::erase_if(rec.traffic, [&](const auto& t) { return t.src < first || t.src > last; });
    std::erase_if(rec.series, [&](const auto& s) { return std::stoi(s.owner) < first || std::stoi(s.owner) > last; });
    rec.job.partial = true;
    rec.job.partial_reason = "missing ranks";
    return rec;
  };
  const auto start = testkit::synthetic_record(8, 3).job.start_ns;
  store::write_record(dir / "part_a.h5", part(0, 3, start + 1'000'000'000));
  store::write_record(dir / "part_b.h5", part(2, 5, start + 2'000'000'000));
  return 0;
}
