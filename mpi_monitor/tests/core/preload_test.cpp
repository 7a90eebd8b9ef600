// The preload as a guest: unchanged non-MPI and static programs, a record from a real 2-rank
// mpirun read back with hpcmon_store, the program first when the record cannot be written,
// MPI_Abort's exit code, MPI_Pcontrol, and stacking with Open MPI's libompitrace.so.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "hpcmon/record.hpp"
#include "hpcmon/store.hpp"

namespace fs = std::filesystem;

namespace {

struct Result {
  int exit_code = -1;
  std::string out, err;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

class Scratch {
 public:
  Scratch() {
    char tmpl[] = "/tmp/hpcmon-mpi-core-XXXXXX";
    dir_ = mkdtemp(tmpl);
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  const fs::path& dir() const { return dir_; }

 private:
  fs::path dir_;
};

// Runs `command` through /bin/sh with stdout and stderr captured apart.
Result run(const std::string& command, const fs::path& scratch) {
  const fs::path out = scratch / "stdout", err = scratch / "stderr";
  std::string line = "(" + command + ") >" + out.string() + " 2>" + err.string();
  int status = std::system(line.c_str());
  Result r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  r.out = slurp(out);
  r.err = slurp(err);
  return r;
}

std::vector<std::string> lines_with(const std::string& text, const std::string& needle) {
  std::vector<std::string> found;
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (l.find(needle) != std::string::npos) found.push_back(l);
  return found;
}

std::vector<fs::path> records_under(const fs::path& dir) {
  std::vector<fs::path> found;
  std::error_code ec;
  if (!fs::exists(dir, ec)) return found;
  for (const auto& e : fs::recursive_directory_iterator(dir))
    if (e.is_regular_file() && e.path().extension() == ".h5") found.push_back(e.path());
  return found;
}

const std::string kPreload = HPCMON_MPI_PRELOAD;
const std::string kBin = HPCMON_CORE_BIN_DIR;

// mpirun with the preload in the ranks (and in mpirun itself: a guest in every process).
std::string mpirun(int ranks, const std::string& program, const std::string& preload,
                   const fs::path& out_dir, const std::string& extra_env = "") {
  std::string cmd = extra_env + " HPCMON_OUTPUT_DIR=" + out_dir.string() + " timeout 60 " + HPCMON_MPIEXEC +
                    " -np " + std::to_string(ranks) + " -x HPCMON_OUTPUT_DIR";
  if (!preload.empty()) cmd = "LD_PRELOAD=" + kPreload + " " + cmd + " -x LD_PRELOAD=" + preload;
  return cmd + " " + program;
}

const hpcmon::record::MpiFunctionRow* row(const hpcmon::record::JobRecord& rec, int rank, const std::string& fn) {
  for (const auto& r : rec.mpi)
    if (r.rank == rank && r.function == fn) return &r;
  return nullptr;
}

TEST(Preload, NonMpiProgramRunsUnchanged) {
  Scratch s;
  Result plain = run(kBin + "/mpi_core_plain a 'b c'", s.dir());
  Result preloaded = run("LD_PRELOAD=" + kPreload + " " + kBin + "/mpi_core_plain a 'b c'", s.dir());
  EXPECT_EQ(plain.exit_code, 3);
  EXPECT_EQ(preloaded.exit_code, plain.exit_code);
  EXPECT_EQ(preloaded.out, plain.out);
  EXPECT_EQ(preloaded.err, plain.err);
  EXPECT_NE(plain.out.find("arg 2: b c"), std::string::npos);
}

TEST(Preload, StaticProgramRunsUnchanged) {
  Scratch s;
  Result plain = run(kBin + "/mpi_core_static x", s.dir());
  Result preloaded = run("LD_PRELOAD=" + kPreload + " " + kBin + "/mpi_core_static x", s.dir());
  EXPECT_EQ(plain.exit_code, 3);
  EXPECT_EQ(preloaded.exit_code, plain.exit_code);
  EXPECT_EQ(preloaded.out, plain.out);
  EXPECT_EQ(preloaded.err, plain.err);
}

TEST(Preload, TwoRankRecordHoldsTheSends) {
  Scratch s;
  const fs::path out = s.dir() / "records";
  Result r = run(mpirun(2, kBin + "/mpi_core_ping 7", kPreload, out), s.dir());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<std::string> said = lines_with(r.err, "hpcmon:");
  ASSERT_EQ(said.size(), 1u) << r.err;
  std::vector<fs::path> files = records_under(out);
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(said[0], "hpcmon: MPI record written to " + files[0].string());
  EXPECT_EQ(files[0].filename().string().rfind("local.local-", 0), 0u) << files[0];

  hpcmon::record::JobRecord rec = hpcmon::store::read_record(files[0]);
  EXPECT_TRUE(rec.has_mpi);
  EXPECT_FALSE(rec.job.partial);
  EXPECT_EQ(rec.job.rank_count, 2u);
  ASSERT_EQ(rec.ranks.size(), 2u);
  const auto* send = row(rec, 0, "MPI_Send");
  ASSERT_NE(send, nullptr);
  EXPECT_EQ(send->calls, 7u);
  EXPECT_EQ(send->bytes, 7u * 64u);
  EXPECT_EQ(send->size_hist[7], 7u);  // 64 bytes: bin [64, 128)
  EXPECT_GT(send->total_s, 0.0);
  EXPECT_LE(send->min_s, send->max_s);
  const auto* recv = row(rec, 1, "MPI_Recv");
  ASSERT_NE(recv, nullptr);
  EXPECT_EQ(recv->calls, 7u);
  EXPECT_EQ(recv->bytes, 7u * 64u);
  EXPECT_EQ(row(rec, 1, "MPI_Send"), nullptr);
  ASSERT_NE(row(rec, 0, "MPI_Init"), nullptr);
  EXPECT_EQ(row(rec, 0, "MPI_Init")->calls, 1u);
  ASSERT_NE(row(rec, 1, "MPI_Finalize"), nullptr);
  ASSERT_NE(row(rec, 0, "MPI_Barrier"), nullptr);
  EXPECT_EQ(row(rec, 0, "MPI_Barrier")->calls, 1u);

  std::uint64_t messages_0_to_1 = 0, other = 0;
  for (const auto& t : rec.traffic) {
    if (t.src == 0 && t.dst_world == 0 && t.dst == 1) {
      messages_0_to_1 += t.messages;
    } else {
      other += t.messages;
    }
    if (t.src == 0 && t.dst == 1) {
      EXPECT_EQ(t.bytes, 7u * 64u);
    }
  }
  EXPECT_EQ(messages_0_to_1, 7u);
  EXPECT_EQ(other, 0u);
  EXPECT_EQ(rec.mpi_table_overflows, 0u);
}

TEST(Preload, PcontrolZeroStopsRecording) {
  Scratch s;
  const fs::path out = s.dir() / "records";
  Result r = run(mpirun(2, kBin + "/mpi_core_ping 3 pcontrol", kPreload, out), s.dir());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<fs::path> files = records_under(out);
  ASSERT_EQ(files.size(), 1u) << r.err;
  hpcmon::record::JobRecord rec = hpcmon::store::read_record(files[0]);
  const auto* send = row(rec, 0, "MPI_Send");
  ASSERT_NE(send, nullptr);
  EXPECT_EQ(send->calls, 3u);  // the 5 sends between MPI_Pcontrol(0) and (1) are not counted
  ASSERT_NE(row(rec, 0, "MPI_Pcontrol"), nullptr);
  EXPECT_EQ(row(rec, 0, "MPI_Pcontrol")->calls, 2u);
}

TEST(Preload, UnwritableOutputDirLeavesTheProgramAlone) {
  Scratch s;
  // A directory below a regular file cannot be created, not even by root.
  const fs::path blocker = s.dir() / "not-a-dir";
  std::ofstream(blocker) << "x";
  Result base = run(mpirun(2, kBin + "/mpi_core_ping 4", "", blocker / "records"), s.dir());
  Result with = run(mpirun(2, kBin + "/mpi_core_ping 4", kPreload, blocker / "records"), s.dir());
  ASSERT_EQ(base.exit_code, 0) << base.err;
  EXPECT_EQ(with.exit_code, base.exit_code);
  EXPECT_EQ(with.out, base.out);
  std::vector<std::string> said = lines_with(with.err, "hpcmon:");
  ASSERT_EQ(said.size(), 1u) << with.err;
  EXPECT_EQ(said[0].rfind("hpcmon: no MPI record: ", 0), 0u) << said[0];
  EXPECT_EQ(lines_with(base.err, "hpcmon").size(), 0u);
}

TEST(Preload, BrokenConfigLeavesTheProgramAlone) {
  Scratch s;
  const fs::path config = s.dir() / "broken.yaml";
  std::ofstream(config) << "general:\n  enabled: [not a bool\n";
  const fs::path out = s.dir() / "records";
  Result base = run(mpirun(2, kBin + "/mpi_core_ping 2", "", out), s.dir());
  Result with = run(mpirun(2, kBin + "/mpi_core_ping 2", kPreload, out, "HPCMON_CONFIG=" + config.string()),
                    s.dir());
  EXPECT_EQ(with.exit_code, base.exit_code);
  EXPECT_EQ(with.out, base.out);
  std::vector<std::string> said = lines_with(with.err, "hpcmon:");
  ASSERT_EQ(said.size(), 1u) << with.err;
  EXPECT_NE(said[0].find("broken.yaml"), std::string::npos) << said[0];
  EXPECT_EQ(records_under(out).size(), 1u);  // defaults apply
}

TEST(Preload, AbortExitCodeUnchangedAndRankFlushed) {
  Scratch s;
  const fs::path out = s.dir() / "records";
  Result base = run(mpirun(2, kBin + "/mpi_core_ping 3 abort", "", out), s.dir());
  Result with = run(mpirun(2, kBin + "/mpi_core_ping 3 abort", kPreload, out), s.dir());
  EXPECT_NE(base.exit_code, 0);
  EXPECT_NE(base.exit_code, 124) << "timeout";
  EXPECT_EQ(with.exit_code, base.exit_code);
  EXPECT_NE(with.out.find("ping: checksum"), std::string::npos);
  std::vector<fs::path> files = records_under(out);
  ASSERT_EQ(files.size(), 1u) << with.err;
  hpcmon::record::JobRecord rec = hpcmon::store::read_record(files[0]);
  EXPECT_TRUE(rec.job.partial);
  EXPECT_EQ(rec.job.partial_reason, "MPI_Abort");
  ASSERT_EQ(rec.ranks.size(), 1u);
  EXPECT_EQ(rec.ranks[0].rank, 1);
  const auto* recv = row(rec, 1, "MPI_Recv");
  ASSERT_NE(recv, nullptr);
  EXPECT_EQ(recv->calls, 3u);
  ASSERT_NE(row(rec, 1, "MPI_Abort"), nullptr);
  EXPECT_EQ(lines_with(with.err, "hpcmon: partial MPI record (MPI_Abort) written to").size(), 1u) << with.err;
}

TEST(Preload, StacksWithOmpitrace) {
  Scratch s;
  const fs::path out = s.dir() / "records";
  const std::string both = kPreload + ":" + HPCMON_OMPITRACE;
  Result base = run(mpirun(2, kBin + "/mpi_core_ping 6", "", out), s.dir());
  ASSERT_EQ(base.exit_code, 0) << base.err;
  const std::vector<std::string> base_result = lines_with(base.out, "ping: checksum");
  ASSERT_EQ(base_result.size(), 1u) << base.out;
  Result r = run(mpirun(2, kBin + "/mpi_core_ping 6", both, out), s.dir());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  // The program's result with both tools is the one it prints alone, to the last digit.
  EXPECT_EQ(lines_with(r.out, "ping: checksum"), base_result) << r.out;
  // libompitrace prints one line per call it sees: it sees every send after us.
  EXPECT_EQ(lines_with(r.out + r.err, "MPI_SEND[0]").size(), 6u) << r.err;
  EXPECT_EQ(lines_with(r.out + r.err, "MPI_RECV[1]").size(), 6u);
  std::vector<fs::path> files = records_under(out);
  ASSERT_EQ(files.size(), 1u) << r.err;
  hpcmon::record::JobRecord rec = hpcmon::store::read_record(files[0]);
  ASSERT_NE(row(rec, 0, "MPI_Send"), nullptr);
  EXPECT_EQ(row(rec, 0, "MPI_Send")->calls, 6u);
  EXPECT_EQ(row(rec, 1, "MPI_Recv")->calls, 6u);
}

bool has_hardware_pmu() {
  return fs::exists("/sys/bus/event_source/devices/cpu") || fs::exists("/sys/devices/cpu");
}

// perf:: events go to perf_event_open; presets need PAPI only with a hardware PMU. The reason a
// preset dropped out is the record's counter_note, and the binding is taken without hwloc.
TEST(Preload, CountersLoadPapiOnlyWhenAnEventNeedsIt) {
  Scratch s;
  const fs::path out = s.dir() / "records";
  Result r = run(mpirun(2, kBin + "/mpi_core_ping 2 maps", kPreload, out,
                        "HPCMON_HPC__EVENTS=PAPI_TOT_INS,perf::task-clock"),
                 s.dir());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const bool pmu = has_hardware_pmu();
  for (int rank : {0, 1}) {
    const std::string papi = pmu ? "1" : "0";
    // (libhwloc is Open MPI's own dependency: mapped with or without the preload.)
    EXPECT_EQ(lines_with(r.out, "ping: rank " + std::to_string(rank) + " maps libpapi " + papi + " libpfm " + papi).size(),
              1u)
        << r.out;
  }
  std::vector<fs::path> files = records_under(out);
  ASSERT_EQ(files.size(), 1u) << r.err;
  hpcmon::record::JobRecord rec = hpcmon::store::read_record(files[0]);
  if (!pmu) {
    EXPECT_EQ(rec.job.counter_source, "perf_event");
    // The rest of the line is perf_event's own word on the preset it cannot open either.
    EXPECT_EQ(rec.job.counter_note.rfind("papi: PAPI_TOT_INS: no hardware PMU (no /sys/bus/event_source/devices/cpu)", 0),
              0u)
        << rec.job.counter_note;
    EXPECT_EQ(rec.job.counter_note.find('\n'), std::string::npos);
    EXPECT_EQ(rec.counter_names, std::vector<std::string>{"perf::task-clock"});
  }
  ASSERT_EQ(rec.ranks.size(), 2u);
  for (const auto& rank : rec.ranks) {
    EXPECT_FALSE(rank.cpuset.empty()) << rank.rank;  // "0", "1" or "0-1", as mpirun bound it
    EXPECT_EQ(rank.cpuset.find_first_not_of("0123456789,-"), std::string::npos) << rank.cpuset;
    if (fs::exists("/sys/devices/system/node/node0") && !fs::exists("/sys/devices/system/node/node1")) {
      EXPECT_EQ(rank.numa_node, 0) << rank.cpuset;  // one NUMA node holds every CPU
    }
  }
}

// A native component event needs PAPI: the counters companion loads libpapi privately, and
// PAPI's SDE component still finds the program's own libsde counters.
TEST(Preload, ProgramSdeEventIsCountedThroughPapi) {
  Scratch s;
  const fs::path out = s.dir() / "records";
  Result r = run(mpirun(2, kBin + "/mpi_core_sde_counter", kPreload, out, "HPCMON_HPC__EVENTS=sde:::MPISDE::OPS"),
                 s.dir());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<fs::path> files = records_under(out);
  ASSERT_EQ(files.size(), 1u) << r.err;
  hpcmon::record::JobRecord rec = hpcmon::store::read_record(files[0]);
  EXPECT_EQ(rec.job.counter_source, "papi") << rec.job.counter_note;
  EXPECT_EQ(rec.job.counter_note, "");
  ASSERT_EQ(rec.counter_names, std::vector<std::string>{"sde:::MPISDE::OPS"});
  ASSERT_EQ(rec.ranks.size(), 2u);
  for (const auto& rank : rec.ranks) {
    ASSERT_EQ(rank.counters.size(), 1u);
    EXPECT_EQ(rank.counters[0], 1234.0) << "rank " << rank.rank;
  }
}

TEST(Preload, MissingCompanionLibrariesLeaveTheProgramAlone) {
  Scratch s;
  // The preload alone in a folder: neither libhpcmon_mpi_counters.so nor the writer beside it.
  const fs::path alone = s.dir() / "libhpcmon_mpi.so";
  fs::copy_file(kPreload, alone);
  const fs::path out = s.dir() / "records";
  Result base = run(mpirun(2, kBin + "/mpi_core_ping 3", "", out), s.dir());
  Result with = run(mpirun(2, kBin + "/mpi_core_ping 3", alone.string(), out), s.dir());
  EXPECT_EQ(with.exit_code, base.exit_code);
  EXPECT_EQ(with.out, base.out);
  std::vector<std::string> said = lines_with(with.err, "hpcmon:");
  ASSERT_EQ(said.size(), 1u) << with.err;
  EXPECT_EQ(said[0].rfind("hpcmon: no MPI record: cannot load ", 0), 0u) << said[0];
  EXPECT_TRUE(records_under(out).empty());
}

TEST(Preload, DisabledByConfigurationRecordsNothingAndSaysNothing) {
  Scratch s;
  const fs::path out = s.dir() / "records";
  Result base = run(mpirun(2, kBin + "/mpi_core_ping 2", "", out), s.dir());
  Result with = run(mpirun(2, kBin + "/mpi_core_ping 2", kPreload, out, "HPCMON_GENERAL__ENABLED=false"), s.dir());
  EXPECT_EQ(with.exit_code, base.exit_code);
  EXPECT_EQ(with.out, base.out);
  EXPECT_TRUE(lines_with(with.err, "hpcmon").empty()) << with.err;
  EXPECT_TRUE(records_under(out).empty());
}

TEST(Preload, Mpi4pyProgramIsRecorded) {
  Scratch s;
  const fs::path out = s.dir() / "records";
  const std::string program = std::string(HPCMON_PYTHON_EXE) + " " + HPCMON_CORE_SOURCE_DIR + "/programs/ping.py";
  Result base = run(mpirun(2, program, "", out), s.dir());
  Result with = run(mpirun(2, program, kPreload, out), s.dir());
  ASSERT_EQ(base.exit_code, 0) << base.err;
  EXPECT_EQ(with.exit_code, 0) << with.err;
  EXPECT_EQ(with.out, base.out);
  std::vector<fs::path> files = records_under(out);
  ASSERT_EQ(files.size(), 1u) << with.err;
  hpcmon::record::JobRecord rec = hpcmon::store::read_record(files[0]);
  const auto* send = row(rec, 0, "MPI_Send");
  ASSERT_NE(send, nullptr);
  EXPECT_EQ(send->calls, 5u);
  EXPECT_EQ(send->bytes, 5u * 80u);
  ASSERT_NE(row(rec, 1, "MPI_Recv"), nullptr);
  EXPECT_EQ(row(rec, 1, "MPI_Recv")->bytes, 5u * 80u);
}

TEST(Preload, SpawnedWorldIsAPeerWorldOfItsOwn) {
  Scratch s;
  const fs::path out = s.dir() / "records";
  // Processes of two worlds reach each other over TCP only.
  Result r = run(mpirun(2, kBin + "/mpi_core_spawn", kPreload, out, "OMPI_MCA_btl=self,vader,tcp"), s.dir());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<fs::path> files = records_under(out);
  ASSERT_EQ(files.size(), 2u) << r.err;  // the parents' world and the children's world
  int checked = 0;
  for (const fs::path& f : files) {
    hpcmon::record::JobRecord rec = hpcmon::store::read_record(f);
    const bool parents = row(rec, 0, "MPI_Comm_spawn") != nullptr;
    ASSERT_EQ(rec.traffic.size(), 2u) << f;
    for (const auto& t : rec.traffic) {
      EXPECT_EQ(t.dst_world, 1u);  // the other world, never forced into our MPI_COMM_WORLD
      EXPECT_EQ(t.dst, t.src);
      EXPECT_EQ(t.messages, parents ? 2u : 1u);
      EXPECT_EQ(t.bytes, parents ? 48u : 16u);
    }
    ++checked;
  }
  EXPECT_EQ(checked, 2);
}

TEST(Preload, AnotherMpiLeavesThePreloadInert) {
  Scratch s;
  const fs::path out = s.dir() / "records";
  Result base = run(mpirun(2, kBin + "/mpi_core_ping 3", "", out), s.dir());
  Result with = run(mpirun(2, kBin + "/mpi_core_ping 3", kPreload + ":" + HPCMON_OTHER_MPI_SHIM, out), s.dir());
  EXPECT_EQ(with.exit_code, base.exit_code);
  EXPECT_EQ(with.out, base.out);
  std::vector<std::string> said = lines_with(with.err, "hpcmon:");
  ASSERT_EQ(said.size(), 1u) << with.err;
  EXPECT_EQ(said[0], "hpcmon: not recording: built for Open MPI v4.1, running MPICH Version: 4.0.2 (pretend)");
  EXPECT_TRUE(records_under(out).empty());
}

TEST(Preload, SecondRunOfOneSlurmStepGetsTheNextRunNumber) {
  Scratch s;
  const fs::path out = s.dir() / "records";
  // Slurm's variables reach the ranks only (mpirun itself must not think it runs under Slurm);
  // under Slurm the record directory comes from the configuration (here its env override).
  const std::string slurm = "-x SLURM_JOB_ID=77 -x SLURM_CLUSTER_NAME=testc -x SLURM_STEP_ID=2 "
                            "-x HPCMON_HPC__RECORD_DIR=" + out.string() + " ";
  Result a = run(mpirun(2, slurm + kBin + "/mpi_core_ping 1", kPreload, s.dir() / "unused"), s.dir());
  ASSERT_EQ(a.exit_code, 0) << a.err;
  Result b = run(mpirun(2, slurm + kBin + "/mpi_core_ping 1", kPreload, s.dir() / "unused"), s.dir());
  ASSERT_EQ(b.exit_code, 0) << b.err;
  std::vector<fs::path> files = records_under(out);
  ASSERT_EQ(files.size(), 2u) << a.err << b.err;
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files[0].filename(), "testc.77.2.r0.0.h5");
  EXPECT_EQ(files[1].filename(), "testc.77.2.r0.1.h5");
  EXPECT_EQ(hpcmon::store::read_record(files[1]).job.key.run, 1u);
  EXPECT_FALSE(fs::exists(s.dir() / "unused"));
}

TEST(Preload, ConcurrentRunsOfOneSlurmStepGetRunsZeroAndOne) {
  Scratch s;
  const fs::path out = s.dir() / "records";
  const std::string slurm = "-x SLURM_JOB_ID=78 -x SLURM_CLUSTER_NAME=testc -x SLURM_STEP_ID=3 "
                            "-x HPCMON_HPC__RECORD_DIR=" + out.string() + " ";
  const std::string one = mpirun(2, slurm + kBin + "/mpi_core_ping 1", kPreload, s.dir() / "unused");
  // Both at once: each writer picks run 0 first; the atomic link settles who gets it.
  Result both = run("(" + one + ") & (" + one + ") & wait", s.dir());
  std::vector<fs::path> files = records_under(out);
  ASSERT_EQ(files.size(), 2u) << both.err;
  std::sort(files.begin(), files.end());
  EXPECT_EQ(files[0].filename(), "testc.78.3.r0.0.h5");
  EXPECT_EQ(files[1].filename(), "testc.78.3.r0.1.h5");
  EXPECT_EQ(hpcmon::store::read_record(files[0]).job.key.run, 0u);
  EXPECT_EQ(hpcmon::store::read_record(files[1]).job.key.run, 1u);
  EXPECT_EQ(lines_with(both.err, "hpcmon: MPI record written to").size(), 2u) << both.err;
}

TEST(Preload, UnderSlurmOutputDirIsIgnoredWithoutTheConfigCompanion) {
  Scratch s;
  // The preload with its counters and writer companions but no configuration companion.
  const fs::path lib_dir = fs::path(kPreload).parent_path();
  for (const char* lib : {"libhpcmon_mpi.so", "libhpcmon_mpi_counters.so", "libhpcmon_mpi_report.so"})
    fs::copy_file(lib_dir / lib, s.dir() / lib);
  const fs::path out = s.dir() / "records";
  const std::string slurm = "-x SLURM_JOB_ID=79 -x SLURM_CLUSTER_NAME=testc -x SLURM_STEP_ID=0 ";
  Result r = run(mpirun(2, slurm + kBin + "/mpi_core_ping 2", (s.dir() / "libhpcmon_mpi.so").string(), out),
                 s.dir());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(records_under(out).empty());
  EXPECT_EQ(lines_with(r.err, "hpcmon: no MPI record: no record directory configured").size(), 1u) << r.err;
}

TEST(Preload, FullCommunicatorTableTriesEachCommunicatorOnce) {
  Scratch s;
  const fs::path out = s.dir() / "records";
  constexpr std::uint64_t kDups = 600, kRounds = 20, kRanks = 2;  // 600 > kCommunicators (512)
  Result r = run(mpirun(int(kRanks), kBin + "/mpi_core_comm_flood 600 20", kPreload, out), s.dir());
  ASSERT_EQ(r.exit_code, 0) << r.err;
  std::vector<fs::path> files = records_under(out);
  ASSERT_EQ(files.size(), 1u) << r.err;
  hpcmon::record::JobRecord rec = hpcmon::store::read_record(files[0]);
  std::uint64_t gather_bytes = 0;
  for (int rank = 0; rank < int(kRanks); ++rank) {
    ASSERT_NE(row(rec, rank, "MPI_Comm_dup"), nullptr);
    EXPECT_EQ(row(rec, rank, "MPI_Comm_dup")->calls, kDups);
    EXPECT_EQ(row(rec, rank, "MPI_Comm_free")->calls, kDups);
    EXPECT_EQ(row(rec, rank, "MPI_Allgather")->calls, kDups * kRounds);
    gather_bytes += row(rec, rank, "MPI_Allgather")->bytes;
  }
  // A communicator that finds no slot counts one overflow when it is created and one on its
  // first call, then is known as unknown: its other calls neither retry nor count again. Its
  // Allgathers count 0 bytes; the others 1 int x 2 ranks each.
  const std::uint64_t overflows = rec.mpi_table_overflows;
  ASSERT_GT(overflows, 0u) << "the table never filled";
  ASSERT_EQ(overflows % 2, 0u) << overflows;
  const std::uint64_t unknown = overflows / 2;
  EXPECT_GE(unknown, kRanks * (kDups - 512));
  EXPECT_EQ(gather_bytes, (kRanks * kDups - unknown) * kRounds * 4 * kRanks);
}

}  // namespace
