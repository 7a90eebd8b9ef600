// Runs each known-traffic workload under real mpirun twice, without and with the preload,
// and checks: same exit code and bit-identical stdout; exactly one record, at the path the
// store names for its key, announced in one line; calls, bytes, histograms and the traffic
// matrix equal to the hand-derived table <workload>.expected.
#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <ostream>
#include <filesystem>
#include <string>
#include <vector>

#include "expected_table.hpp"
#include "hpcmon/store.hpp"
#include "run_command.hpp"

namespace fs = std::filesystem;
using hpcmon::workloads::CommandEnv;
using hpcmon::workloads::CommandResult;
using hpcmon::workloads::run_command;

namespace {

// Set by CMake: folder of the workload executables and of the .expected tables, and mpirun.
constexpr const char* kWorkloadDir = HPCMON_WORKLOAD_BIN_DIR;
constexpr const char* kTableDir = HPCMON_WORKLOAD_TABLE_DIR;
constexpr const char* kMpirun = HPCMON_MPIEXEC;
constexpr const char* kPython = HPCMON_WORKLOAD_PYTHON;

struct ScratchDir {
  fs::path path;
  ScratchDir() {
    std::string templ = (fs::temp_directory_path() / "hpcmon-workload-XXXXXX").string();
    if (mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path = templ;
  }
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

std::vector<fs::path> find_records(const fs::path& dir) {
  std::vector<fs::path> found;
  if (!fs::exists(dir)) return found;
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    if (entry.is_regular_file() && entry.path().extension() == ".h5") found.push_back(entry.path());
  return found;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < text.size()) {
    const auto end = text.find('\n', start);
    lines.push_back(text.substr(start, end == std::string::npos ? end : end - start + 1));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return lines;
}

// Text without the lines that contain `needle` (the preload's announcement of the record).
std::string without_lines_containing(const std::string& text, const std::string& needle) {
  std::string kept;
  for (const auto& line : lines_of(text))
    if (line.find(needle) == std::string::npos) kept += line;
  return kept;
}

int count_lines_containing(const std::string& text, const std::string& needle) {
  int n = 0;
  for (const auto& line : lines_of(text)) n += line.find(needle) != std::string::npos;
  return n;
}

std::string user_name() {
  const passwd* pw = getpwuid(getuid());
  return pw != nullptr ? pw->pw_name : std::to_string(getuid());
}

struct Workload {
  const char* name;
  bool python = false;  // <name>.py in the source folder, else the program mpi_workload_<name>
  bool fortran = false;  // built only when CMake found gfortran and MPI Fortran
};

void PrintTo(const Workload& w, std::ostream* os) { *os << w.name; }

class MpiWorkloads : public ::testing::TestWithParam<Workload> {};

TEST_P(MpiWorkloads, RecordMatchesHandDerivedTable) {
  const std::string name = GetParam().name;
  if (GetParam().fortran && !HPCMON_WORKLOADS_HAVE_FORTRAN) GTEST_SKIP() << "no Fortran compiler at configure time";
  const auto table = hpcmon::workloads::parse_expected_table(std::string(kTableDir) + "/" + name + ".expected");
  const char* preload_env = std::getenv("LD_PRELOAD");
  const std::string preload = preload_env != nullptr ? preload_env : "";
  ASSERT_NE(preload.find("libhpcmon_mpi"), std::string::npos)
      << "run through ctest: LD_PRELOAD must name libhpcmon_mpi.so, it is '" << preload << "'";

  ScratchDir scratch;
  const fs::path records = scratch.path / "records";
  // A Python workload runs under Debian's interpreter (the one with mpi4py).
  const std::vector<std::string> program =
      GetParam().python ? std::vector<std::string>{kPython, std::string(kTableDir) + "/" + name + ".py"}
                        : std::vector<std::string>{std::string(kWorkloadDir) + "/mpi_workload_" + name};
  const std::vector<std::string> base_argv = {"timeout", "60", kMpirun, "-np",
                                              std::to_string(table.ranks), "--bind-to", "none"};

  std::vector<std::string> plain_argv = base_argv;
  plain_argv.insert(plain_argv.end(), program.begin(), program.end());
  const CommandResult plain =
      run_command(plain_argv, CommandEnv{{}, {"LD_PRELOAD", "HPCMON_OUTPUT_DIR"}}, scratch.path);
  ASSERT_EQ(plain.exit_code, 0) << "without the preload:\n" << plain.out << plain.err;
  ASSERT_EQ(count_lines_containing(plain.out, name + " rank"), table.ranks) << plain.out;

  std::vector<std::string> preload_argv = base_argv;
  for (const char* name_to_pass : {"LD_PRELOAD", "HPCMON_OUTPUT_DIR"}) {
    preload_argv.push_back("-x");
    preload_argv.push_back(name_to_pass);
  }
  preload_argv.insert(preload_argv.end(), program.begin(), program.end());
  const CommandResult traced = run_command(
      preload_argv, CommandEnv{{{"LD_PRELOAD", preload}, {"HPCMON_OUTPUT_DIR", records.string()}}, {}},
      scratch.path);
  ASSERT_EQ(traced.exit_code, plain.exit_code) << "with the preload:\n" << traced.out << traced.err;

  const auto found = find_records(records);
  ASSERT_EQ(found.size(), 1u) << "records under " << records << "; output:\n" << traced.out << traced.err;
  const fs::path record_path = found.front();
  EXPECT_EQ(count_lines_containing(traced.out + traced.err, record_path.string()), 1)
      << "one line must name the record " << record_path << "; output:\n" << traced.out << traced.err;
  EXPECT_EQ(without_lines_containing(traced.out, record_path.string()), plain.out)
      << "the program's stdout changed under the preload";

  hpcmon::record::JobRecord rec;
  ASSERT_NO_THROW(rec = hpcmon::store::read_record(record_path));
  EXPECT_TRUE(rec.has_mpi);
  EXPECT_EQ(rec.job.rank_count, static_cast<std::uint32_t>(table.ranks));
  ASSERT_EQ(rec.ranks.size(), static_cast<std::size_t>(table.ranks));
  for (int r = 0; r < table.ranks; ++r) EXPECT_EQ(rec.ranks[static_cast<std::size_t>(r)].rank, r);
  EXPECT_EQ(rec.mpi_table_overflows, 0u);
  EXPECT_EQ(record_path, hpcmon::store::record_path(records, user_name(), rec.job.start_ns, rec.job.key));

  const auto mismatches = hpcmon::workloads::compare_with_record(table, rec);
  std::string report;
  for (const auto& line : mismatches) report += "  " + line + "\n";
  EXPECT_TRUE(mismatches.empty()) << mismatches.size() << " mismatches with " << name
                                  << ".expected:\n" << report;
}

INSTANTIATE_TEST_SUITE_P(Known, MpiWorkloads,
                         ::testing::Values(Workload{"p2p_blocking"}, Workload{"p2p_nonblocking"},
                                           Workload{"persistent"}, Workload{"collectives"},
                                           Workload{"icollectives"}, Workload{"split_comm"},
                                           Workload{"datatypes"}, Workload{"traffic_matrix"},
                                           Workload{"many_requests"}, Workload{"intercomm"},
                                           Workload{"threads"}, Workload{"more_families"},
                                           Workload{"comm_self_idup"}, Workload{"request_handoff"},
                                           Workload{"mpi4py_workload", true},
                                           Workload{"fortran_mpif", false, true},
                                           Workload{"fortran_use_mpi", false, true},
                                           Workload{"fortran_f08", false, true},
                                           Workload{"fortran_more_use_mpi", false, true},
                                           Workload{"fortran_more_f08", false, true}),
                         [](const auto& info) { return std::string(info.param.name); });

}  // namespace
