// A Fortran MPI_Abort under the preload (fortran_abort.F90 through `use mpi` or `use mpi_f08`,
// named by argv[1] after the gtest flags): the job ends with the abort's error code, as it
// does without the preload, well before mpirun's timeout; the preload says exactly one line
// (its partial record) and that record holds the aborting rank's calls.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "hpcmon/record.hpp"
#include "hpcmon/store.hpp"
#include "run_command.hpp"

namespace fs = std::filesystem;
using hpcmon::workloads::CommandEnv;
using hpcmon::workloads::CommandResult;
using hpcmon::workloads::run_command;

namespace {

std::string g_program;  // mpi_workload_fortran_abort_<binding>

int count_lines_containing(const std::string& text, const std::string& needle) {
  int n = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    n += text.substr(start, end - start).find(needle) != std::string::npos;
    start = end + 1;
  }
  return n;
}

const hpcmon::record::MpiFunctionRow* row(const hpcmon::record::JobRecord& rec, int rank,
                                          const std::string& fn) {
  for (const auto& r : rec.mpi)
    if (r.rank == rank && r.function == fn) return &r;
  return nullptr;
}

TEST(FortranAbort, EndsWithTheAbortCodeAndOneLine) {
  char tmpl[] = "/tmp/hpcmon-fortran-abort-XXXXXX";
  ASSERT_NE(mkdtemp(tmpl), nullptr);
  const fs::path scratch = tmpl;
  const fs::path records = scratch / "records";
  const char* preload_env = std::getenv("LD_PRELOAD");
  const std::string preload = preload_env ? preload_env : "";
  ASSERT_NE(preload.find("libhpcmon_mpi"), std::string::npos) << "run through ctest";
  const std::vector<std::string> base = {"timeout", "60", HPCMON_MPIEXEC, "-np", "2", "--bind-to", "none"};

  std::vector<std::string> plain_argv = base;
  plain_argv.push_back(g_program);
  const CommandResult plain = run_command(plain_argv, CommandEnv{{}, {"LD_PRELOAD", "HPCMON_OUTPUT_DIR"}}, scratch);
  EXPECT_EQ(plain.exit_code, 7) << plain.out << plain.err;

  std::vector<std::string> traced_argv = base;
  for (const char* name : {"-x", "LD_PRELOAD", "-x", "HPCMON_OUTPUT_DIR"}) traced_argv.push_back(name);
  traced_argv.push_back(g_program);
  const CommandResult traced = run_command(
      traced_argv, CommandEnv{{{"LD_PRELOAD", preload}, {"HPCMON_OUTPUT_DIR", records.string()}}, {}}, scratch);
  EXPECT_EQ(traced.exit_code, 7) << traced.out << traced.err;  // not 124: nothing hung
  EXPECT_EQ(count_lines_containing(traced.out, "fortran_abort: rank 1 aborts"), 1) << traced.out;
  const std::string said = traced.out + traced.err;
  EXPECT_EQ(count_lines_containing(said, "hpcmon"), 1) << said;
  EXPECT_EQ(count_lines_containing(said, "hpcmon: partial MPI record (MPI_Abort) written to"), 1) << said;

  std::vector<fs::path> files;
  if (fs::exists(records))
    for (const auto& e : fs::recursive_directory_iterator(records))
      if (e.is_regular_file() && e.path().extension() == ".h5") files.push_back(e.path());
  ASSERT_EQ(files.size(), 1u) << said;
  const hpcmon::record::JobRecord rec = hpcmon::store::read_record(files[0]);
  EXPECT_TRUE(rec.job.partial);
  EXPECT_EQ(rec.job.partial_reason, "MPI_Abort");
  ASSERT_EQ(rec.ranks.size(), 1u);
  EXPECT_EQ(rec.ranks[0].rank, 1);
  const auto* send = row(rec, 1, "MPI_Send");
  ASSERT_NE(send, nullptr);
  EXPECT_EQ(send->calls, 1u);
  EXPECT_EQ(send->bytes, 8u);
  const auto* barrier = row(rec, 1, "MPI_Barrier");
  ASSERT_NE(barrier, nullptr);
  EXPECT_EQ(barrier->calls, 3u);
  const auto* abort_row = row(rec, 1, "MPI_Abort");
  ASSERT_NE(abort_row, nullptr);
  EXPECT_EQ(abort_row->calls, 1u);
  std::error_code ignored;
  fs::remove_all(scratch, ignored);
}

}  // namespace

int main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s [gtest flags] <fortran abort program>\n", argv[0]);
    return 2;
  }
  g_program = argv[1];
  return RUN_ALL_TESTS();
}
