// Runs real programs under LD_PRELOAD=libhpcmon_mem.so and checks what their profiles say:
// planted leaks attributed by function name with exact counts and bytes, every interposed entry
// point counted exactly, the bootstrap path, four threads, C++ new, and an MPI program under
// both preloads with real mpirun (Open MPI's own leaks never in the user's list).
#include <gtest/gtest.h>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "hpcmon/memprof_record.hpp"
#include "hpcmon/memprof_report.hpp"
#include <hdf5.h>

namespace fs = std::filesystem;
using namespace hpcmon::mem;

namespace {

const std::string kBin = HPCMON_MEMPROF_BIN_DIR;
const std::string kPreload = HPCMON_MEMPROF_PRELOAD;

struct ScratchDir {
  fs::path path;
  ScratchDir() {
    std::string templ = (fs::temp_directory_path() / "hpcmon-memprof-XXXXXX").string();
    if (mkdtemp(templ.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path = templ;
  }
  ~ScratchDir() {
    std::error_code ignored;
    fs::remove_all(path, ignored);
  }
};

struct RunResult {
  int exit_code = -1;
  std::string out;
};

// Runs argv with this process's environment minus LD_PRELOAD and HPCMON_*, plus `env`.
RunResult run(const std::vector<std::string>& argv, const std::map<std::string, std::string>& env, const fs::path& scratch) {
  std::vector<std::string> environment;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string entry = *e;
    const std::string key = entry.substr(0, entry.find('='));
    if (key == "LD_PRELOAD" || key.starts_with("HPCMON_") || env.count(key)) continue;
    environment.push_back(entry);
  }
  for (const auto& [k, v] : env) environment.push_back(k + "=" + v);
  const fs::path out_file = scratch / "stdout.txt";
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = open(out_file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    dup2(fd, 1);
    std::vector<char*> args, envp;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    for (const auto& e : environment) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  RunResult r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::ifstream in(out_file);
  std::stringstream text;
  text << in.rdbuf();
  r.out = text.str();
  return r;
}

std::vector<Profile> profiles_in(const fs::path& dir) {
  std::vector<Profile> found;
  for (const auto& entry : fs::directory_iterator(dir))
    if (entry.path().extension() == ".memprof") found.push_back(read_profile(entry.path()));
  return found;
}

// The one profile of `program` in `dir` (other processes, such as mpirun, write their own).
std::vector<Profile> profiles_of(const fs::path& dir, const std::string& program) {
  std::vector<Profile> mine;
  for (auto& p : profiles_in(dir))
    if (fs::path(p.exe).filename() == program) mine.push_back(std::move(p));
  return mine;
}

Profile run_profiled(const std::string& program, const std::map<std::string, std::string>& extra, const ScratchDir& dir,
                     const std::string& expected_out) {
  std::map<std::string, std::string> env = extra;
  env["HPCMON_OUTPUT_DIR"] = dir.path.string();
  if (!env.count("LD_PRELOAD")) env["LD_PRELOAD"] = kPreload;
  const RunResult r = run({kBin + "/" + program}, env, dir.path);
  EXPECT_EQ(r.exit_code, 0);
  EXPECT_EQ(r.out, expected_out);
  auto mine = profiles_of(dir.path, program);
  if (mine.size() != 1) throw std::runtime_error("expected one profile of " + program + ", found " + std::to_string(mine.size()));
  return mine.front();
}

const LeakSite* user_leak_in(const Analysis& a, const std::string& function) {
  const LeakSite* found = nullptr;
  for (const auto& s : a.user_leaks)
    if (s.frame.function == function) {
      if (found != nullptr) ADD_FAILURE() << "two leak sites in " << function;
      found = &s;
    }
  return found;
}

uint64_t size_class_count(const Profile& p, int k) {
  for (const auto& c : p.size_classes)
    if (c.size_class == k) return c.count;
  return 0;
}

TEST(Preload, PlantedLeakAttributedToItsFunctionExactly) {
  for (const auto& [blocks, size] : {std::pair{7, 1000}, std::pair{13, 4097}}) {
    ScratchDir dir;
    const Profile p = run_profiled("memprof_leaker",
                                   {{"MEMPROF_TEST_BLOCKS", std::to_string(blocks)}, {"MEMPROF_TEST_SIZE", std::to_string(size)}},
                                   dir, "leaker done\n");
    const Analysis a = analyse(p);
    ASSERT_EQ(a.user_leaks.size(), 1u);
    const LeakSite& leak = a.user_leaks[0];
    EXPECT_EQ(leak.frame.function, "planted_leak");
    EXPECT_EQ(leak.count, static_cast<uint64_t>(blocks));
    EXPECT_EQ(leak.bytes, static_cast<uint64_t>(blocks) * size);
    EXPECT_TRUE(leak.frame.file.ends_with("leaker.c")) << leak.frame.file;
    EXPECT_EQ(leak.frame.line, 12);  // the malloc line of planted_leak
    EXPECT_EQ(p.calls_of("malloc"), 2000u + blocks);
    EXPECT_EQ(p.calls_of("free"), 2000u);
    EXPECT_EQ(p.allocations, 2000u + blocks);
    EXPECT_EQ(p.frees, 2000u);
    EXPECT_EQ(p.live_blocks, static_cast<uint64_t>(blocks));
    EXPECT_EQ(p.live_bytes, static_cast<uint64_t>(blocks) * size);
    EXPECT_GE(p.peak_live_bytes, p.live_bytes);
    EXPECT_GT(p.rss_hwm_bytes, 0u);
    EXPECT_FALSE(p.partial);
    EXPECT_FALSE(p.maps.empty());
    EXPECT_FALSE(p.samples.empty());
  }
}

TEST(Preload, EveryEntryPointCountedExactly) {
  ScratchDir dir;
  const Profile p = run_profiled("memprof_apis", {}, dir, "apis done\n");
  // Hand-derived from programs/apis.c.
  EXPECT_EQ(p.calls_of("malloc"), 3u);  // leak_realloc's first block, two strdup
  EXPECT_EQ(p.calls_of("calloc"), 6u);
  EXPECT_EQ(p.calls_of("realloc"), 2u);
  EXPECT_EQ(p.calls_of("free"), 1u);
  EXPECT_EQ(p.calls_of("posix_memalign"), 2u);
  EXPECT_EQ(p.calls_of("aligned_alloc"), 3u);
  EXPECT_EQ(p.calls_of("memalign"), 1u);
  EXPECT_EQ(p.calls_of("valloc"), 1u);
  EXPECT_EQ(p.calls_of("pvalloc"), 1u);
  EXPECT_EQ(p.calls_of("mmap"), 4u);
  EXPECT_EQ(p.calls_of("munmap"), 2u);
  EXPECT_EQ(p.allocations, 19u);
  EXPECT_EQ(p.frees, 3u);  // one free, two blocks released by realloc
  EXPECT_EQ(p.live_blocks, 16u);
  EXPECT_EQ(p.live_bytes, 5u * 300 + 1000 + 2 * 4096 + 3 * 256 + 48 + 100 + 100 + 2 * 6);
  EXPECT_EQ(p.allocated_bytes, 10u + 100 + 1000 + 5 * 300 + 64 + 2 * 4096 + 3 * 256 + 48 + 100 + 100 + 2 * 6);
  EXPECT_EQ(p.mmap_bytes, 3u * 8192 + 4096);
  EXPECT_EQ(p.mmap_anonymous_bytes, 3u * 8192);
  EXPECT_EQ(p.munmap_bytes, 2u * 8192);
  EXPECT_EQ(size_class_count(p, 8), 8u);   // [256, 512): five of 300 bytes, three of 256
  EXPECT_EQ(size_class_count(p, 12), 2u);  // 4096
  const Analysis a = analyse(p);
  struct Expect { const char* function; uint64_t count, bytes; };
  for (const Expect& e : {Expect{"leak_calloc", 5, 1500}, Expect{"leak_realloc", 1, 1000},
                          Expect{"leak_strdup", 2, 12}}) {
    const LeakSite* s = user_leak_in(a, e.function);
    ASSERT_NE(s, nullptr) << e.function;
    EXPECT_EQ(s->count, e.count) << e.function;
    EXPECT_EQ(s->bytes, e.bytes) << e.function;
  }
  // leak_aligned leaks from five lines: together 2 + 3 + 1 + 1 + 1 blocks.
  uint64_t count = 0, bytes = 0;
  for (const auto& s : a.user_leaks)
    if (s.frame.function == "leak_aligned") count += s.count, bytes += s.bytes;
  EXPECT_EQ(count, 8u);
  EXPECT_EQ(bytes, 2u * 4096 + 3 * 256 + 48 + 100 + 100);
  uint64_t user_blocks = 0;
  for (const auto& s : a.user_leaks) user_blocks += s.count;
  EXPECT_EQ(user_blocks, 16u);  // every live block is the user's: none is the runtime's
}

TEST(Preload, FourThreadsGiveExactCounts) {
  ScratchDir dir;
  const Profile p = run_profiled("memprof_threads", {{"MEMPROF_TEST_BLOCKS", "9"}, {"MEMPROF_TEST_SIZE", "333"}}, dir,
                                 "threads done\n");
  const Analysis a = analyse(p);
  const LeakSite* leak = user_leak_in(a, "thread_leak");
  ASSERT_NE(leak, nullptr);
  EXPECT_EQ(leak->count, 4u * 9);
  EXPECT_EQ(leak->bytes, 4u * 9 * 333);
  EXPECT_EQ(leak->allocs, 4u * 9);
  // The 64-byte pairs: 2 x 10000 per thread, all freed, from one call site.
  uint64_t pair_allocs = 0;
  for (const auto& s : a.top_allocation_sites)
    if (s.user && s.frame.function == "pairs") pair_allocs += s.allocs;
  EXPECT_EQ(pair_allocs, 4u * 2 * 10000);
  EXPECT_EQ(size_class_count(p, 6), 4u * 2 * 10000);  // 64 bytes: [64, 128)
  EXPECT_EQ(p.allocations - p.frees, p.live_blocks);
  EXPECT_EQ(p.allocated_bytes - p.freed_bytes, p.live_bytes);
  EXPECT_GE(p.threads, 4u);
  for (const auto& s : a.user_leaks) EXPECT_EQ(s.frame.function, "thread_leak");
}

TEST(Preload, CxxNewIsTheUsersAndLibstdcxxOwnIsNot) {
  ScratchDir dir;
  const Profile p = run_profiled("memprof_cxx_new", {{"MEMPROF_TEST_BLOCKS", "3"}, {"MEMPROF_TEST_SIZE", "500"}}, dir,
                                 "cxx done 100\n");
  const Analysis a = analyse(p);
  ASSERT_EQ(a.user_leaks.size(), 1u);
  EXPECT_EQ(a.user_leaks[0].frame.function, "leak_with_new(unsigned long, unsigned long)");
  EXPECT_EQ(a.user_leaks[0].count, 3u);
  EXPECT_EQ(a.user_leaks[0].bytes, 1500u);
}

TEST(Preload, FirstAllocationInsideDlsym) {
  ScratchDir dir;
  const std::string preload = std::string(HPCMON_MEMPROF_EARLY) + ":" + kPreload;
  const Profile p = run_profiled("memprof_bootstrap",
                                 {{"LD_PRELOAD", preload}, {"MEMPROF_TEST_BLOCKS", "4"}, {"MEMPROF_TEST_SIZE", "96"}}, dir,
                                 "early: " + std::string(HPCMON_MEMPROF_EARLY) +
                                     ": undefined symbol: hpcmon_memprof_no_such_symbol\n");
  const Analysis a = analyse(p);
  const LeakSite* leak = user_leak_in(a, "leak_after_bootstrap");
  ASSERT_NE(leak, nullptr);
  EXPECT_EQ(leak->count, 4u);
  EXPECT_EQ(leak->bytes, 4u * 96);
}

// Both preloads under real mpirun, 2 ranks: results unchanged (Open MPI's memory hooks still
// see munmap), and each rank's user leaks are exactly the planted site.
TEST(Mpi, PlantedLeakPerRankAndOpenMpiNotBlamed) {
  ScratchDir dir;
  const fs::path records = dir.path / "records";
  fs::create_directory(records);
  const std::map<std::string, std::string> env = {
      {"OMPI_ALLOW_RUN_AS_ROOT", "1"}, {"OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1"}, {"OMPI_MCA_pml", "ob1"},
      {"OMPI_MCA_btl", "self,vader"}, {"OMPI_MCA_rmaps_base_oversubscribe", "1"},
      {"LD_PRELOAD", std::string(HPCMON_MPI_PRELOAD) + ":" + kPreload}, {"HPCMON_MPI_QUIET", "1"},
      {"HPCMON_OUTPUT_DIR", records.string()}, {"HPCMON_RUN_DIR", dir.path.string()},
      {"MEMPROF_TEST_BLOCKS", "6"}, {"MEMPROF_TEST_SIZE", "2048"}};
  const RunResult r = run({HPCMON_MPIEXEC, "-np", "2", kBin + "/memprof_mpi_leak"}, env, dir.path);
  ASSERT_EQ(r.exit_code, 0) << r.out;
  // Each rank receives its left neighbour's 1 MiB buffers (hand-derived from mpi_leak.c).
  auto expected_line = [](int rank, int size) {
    const long n = 1 << 18, left = (rank + size - 1) % size;
    long ring = 0;
    for (long i = 0; i < n; ++i) ring += i % 7;
    const long checksum = 4 * (n * left * 1000 + ring) + n * (0 + 1 + 2 + 3);
    return "rank " + std::to_string(rank) + " sum 3 checksum " + std::to_string(checksum) + "\n";
  };
  EXPECT_NE(r.out.find(expected_line(0, 2)), std::string::npos) << r.out;
  EXPECT_NE(r.out.find(expected_line(1, 2)), std::string::npos) << r.out;
  const auto ranks = profiles_of(dir.path, "memprof_mpi_leak");
  ASSERT_EQ(ranks.size(), 2u);
  std::set<int64_t> seen;
  for (const Profile& p : ranks) {
    ASSERT_TRUE(p.rank.has_value());
    seen.insert(*p.rank);
    const Analysis a = analyse(p);
    std::string functions;
    for (const auto& s : a.user_leaks) functions += " " + s.frame.function;
    ASSERT_EQ(a.user_leaks.size(), 1u) << "rank " << *p.rank << ":" << functions;
    EXPECT_EQ(a.user_leaks[0].frame.function, "planted_mpi_leak");
    EXPECT_EQ(a.user_leaks[0].count, 6u);
    EXPECT_EQ(a.user_leaks[0].bytes, 6u * 2048);
    // Open MPI leaves blocks behind: they are counted under its libraries, not the user's.
    uint64_t library_blocks = 0;
    for (const auto& l : a.library_leaks) library_blocks += l.count;
    EXPECT_GT(library_blocks, 0u);
    // Components closed in MPI_Finalize (and libpmix with them) still symbolise: no unknown owner.
    for (const auto& l : a.library_leaks) EXPECT_NE(l.library, "unknown") << l.count << " blocks";
    EXPECT_EQ(library_blocks + 6, p.live_blocks);
    // The eight 1 MiB buffers, allocated and freed by the user.
    uint64_t big = 0;
    for (const auto& c : p.size_classes)
      if (c.size_class == 20) big = c.count;
    EXPECT_EQ(big, 8u);
  }
  EXPECT_EQ(seen, (std::set<int64_t>{0, 1}));
}

// A process that does not return from main: _exit, a real invalid write (SIGSEGV), abort()
// and SIGTERM. Each writes its profile with the planted leak, and the parent sees the same
// status as without the preload (exit code, or 128 + the same signal).
TEST(Preload, ProfileWrittenWhenTheProcessExitsAbnormally) {
  const std::map<std::string, int> expected = {{"_exit", 3}, {"segv", 128 + SIGSEGV}, {"abort", 128 + SIGABRT},
                                               {"term", 128 + SIGTERM}};
  for (const auto& [end, status] : expected) {
    ScratchDir dir;
    const std::map<std::string, std::string> env = {
        {"MEMPROF_TEST_END", end}, {"MEMPROF_TEST_BLOCKS", "4"}, {"MEMPROF_TEST_SIZE", "700"}};
    const RunResult plain = run({kBin + "/memprof_leaker"}, env, dir.path);
    EXPECT_EQ(plain.exit_code, status) << end;
    std::map<std::string, std::string> profiled = env;
    profiled["LD_PRELOAD"] = kPreload;
    profiled["HPCMON_OUTPUT_DIR"] = dir.path.string();
    const RunResult r = run({kBin + "/memprof_leaker"}, profiled, dir.path);
    EXPECT_EQ(r.exit_code, plain.exit_code) << end;
    EXPECT_EQ(r.out, "leaker done\n") << end;
    const auto mine = profiles_of(dir.path, "memprof_leaker");
    ASSERT_EQ(mine.size(), 1u) << end;
    const LeakSite* leak = user_leak_in(analyse(mine[0]), "planted_leak");
    ASSERT_NE(leak, nullptr) << end;
    EXPECT_EQ(leak->count, 4u) << end;
    EXPECT_EQ(leak->bytes, 4u * 700) << end;
  }
}

// MPI_Abort on rank 1 of 2 under real mpirun: mpirun's exit code is the abort's, and the
// aborting rank's profile (written from _exit) has its planted leak.
TEST(Mpi, AbortingRankIsProfiled) {
  ScratchDir dir;
  const std::map<std::string, std::string> env = {
      {"OMPI_ALLOW_RUN_AS_ROOT", "1"}, {"OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1"}, {"OMPI_MCA_pml", "ob1"},
      {"OMPI_MCA_btl", "self,vader"}, {"OMPI_MCA_rmaps_base_oversubscribe", "1"}, {"LD_PRELOAD", kPreload},
      {"HPCMON_RUN_DIR", dir.path.string()}, {"MEMPROF_TEST_BLOCKS", "6"}, {"MEMPROF_TEST_SIZE", "2048"},
      {"MEMPROF_TEST_ABORT_RANK", "1"}};
  const RunResult r = run({HPCMON_MPIEXEC, "-np", "2", kBin + "/memprof_mpi_leak"}, env, dir.path);
  EXPECT_EQ(r.exit_code, 5) << r.out;
  const Profile* aborted = nullptr;
  const auto ranks = profiles_of(dir.path, "memprof_mpi_leak");
  for (const Profile& p : ranks)
    if (p.rank == 1) aborted = &p;
  ASSERT_NE(aborted, nullptr) << ranks.size() << " rank profiles";
  const LeakSite* leak = user_leak_in(analyse(*aborted), "planted_mpi_leak");
  ASSERT_NE(leak, nullptr);
  EXPECT_EQ(leak->count, 6u);
  EXPECT_EQ(leak->bytes, 6u * 2048);
}

// `hpcmon memprof --format json` on a leaker's profile, and the exit code of a file that is not
// a profile.
TEST(Cli, JsonReportAndExitCodes) {
  ScratchDir dir;
  const Profile p = run_profiled("memprof_leaker", {{"MEMPROF_TEST_BLOCKS", "3"}, {"MEMPROF_TEST_SIZE", "640"}}, dir,
                                 "leaker done\n");
  const RunResult json = run({HPCMON_HPCMON_CLI, "memprof", "--format", "json", p.path.string()}, {}, dir.path);
  ASSERT_EQ(json.exit_code, 0);
  EXPECT_NE(json.out.find("\"function\": \"planted_leak\""), std::string::npos) << json.out.substr(0, 2000);
  EXPECT_NE(json.out.find("\"leaked_blocks\": 3,"), std::string::npos);
  EXPECT_NE(json.out.find("\"leaked_bytes\": 1920,"), std::string::npos);
  const RunResult text = run({HPCMON_HPCMON_CLI, "memprof", p.path.string()}, {}, dir.path);
  ASSERT_EQ(text.exit_code, 0);
  EXPECT_NE(text.out.find("3 blocks, 1920 bytes: planted_leak at "), std::string::npos) << text.out;
  const fs::path bogus = dir.path / "bogus.memprof";
  std::ofstream(bogus) << "not a profile\n";
  EXPECT_EQ(run({HPCMON_HPCMON_CLI, "memprof", bogus.string()}, {}, dir.path).exit_code, 3);
  std::ofstream(dir.path / "cut.memprof") << "hpcmon-memprof 1\npid 1\n";
  EXPECT_EQ(run({HPCMON_HPCMON_CLI, "memprof", (dir.path / "cut.memprof").string()}, {}, dir.path).exit_code, 5);
  EXPECT_EQ(run({HPCMON_HPCMON_CLI, "memprof", (dir.path / "missing.memprof").string()}, {}, dir.path).exit_code, 2);
}

// The node agent's side: a step's profiles collected from its run directory (only that step's,
// never through a symlink), stored in /memory of an HDF5 file and read back with the planted
// leak on its function; the report's Memory section names it.
TEST(Record, StepProfilesCollectedStoredAndReadBack) {
  ScratchDir dir;
  const fs::path run_dir = dir.path / "run";
  fs::create_directory(run_dir);
  const auto leaker = [&](const std::string& step, const std::string& blocks) {
    const RunResult r = run({kBin + "/memprof_leaker"},
                            {{"LD_PRELOAD", kPreload}, {"HPCMON_RUN_DIR", run_dir.string()}, {"SLURM_JOB_ID", "4242"},
                             {"SLURM_STEP_ID", step}, {"SLURM_PROCID", "3"}, {"MEMPROF_TEST_BLOCKS", blocks},
                             {"MEMPROF_TEST_SIZE", "3000"}},
                            dir.path);
    ASSERT_EQ(r.exit_code, 0);
  };
  leaker("0", "9");
  leaker("1", "2");  // another step of the job: not collected for step 0
  fs::create_symlink(profiles_in(run_dir).front().path, run_dir / "link.memprof");  // refused
  const Collected c = collect_step_profiles(run_dir.string(), getuid(), "4242", "0");
  ASSERT_EQ(c.processes.size(), 1u);
  ASSERT_EQ(c.problems.size(), 1u) << c.problems.front();
  EXPECT_NE(c.problems.front().find("link.memprof"), std::string::npos) << c.problems.front();

  const std::string h5 = (dir.path / "record.h5").string();
  H5Fclose(H5Fcreate(h5.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
  write_memory_group(h5, c.processes);
  const std::vector<StoredProcess> back = read_memory_group(h5);
  ASSERT_EQ(back.size(), 1u);
  const StoredProcess& p = back.front();
  EXPECT_EQ(p.rank, std::optional<int64_t>(3));
  EXPECT_EQ(p.live_blocks, 9u);
  EXPECT_EQ(p.live_bytes, 27000u);
  EXPECT_EQ(p.allocations, 2009u);
  EXPECT_FALSE(p.samples.empty());
  EXPECT_FALSE(p.size_classes.empty());
  EXPECT_GT(p.rss_hwm_bytes, 0u);
  ASSERT_EQ(p.user_leaks.size(), 1u);
  EXPECT_EQ(p.user_leaks[0].function, "planted_leak");
  EXPECT_EQ(p.user_leaks[0].count, 9u);
  EXPECT_EQ(p.user_leaks[0].bytes, 27000u);
  EXPECT_TRUE(p.user_leaks[0].file.ends_with("leaker.c"));
  EXPECT_EQ(p.user_leaks[0].line, 12);

  // The merge's carry: two partials' processes in one output.
  const std::string out = (dir.path / "merged.h5").string();
  H5Fclose(H5Fcreate(out.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT));
  carry_memory_groups(out, {h5});
  ASSERT_EQ(read_memory_group(out).size(), 1u);
  EXPECT_EQ(read_memory_group(out).front().user_leaks.at(0).bytes, 27000u);

  const std::string text = render_memory_section(back);
  EXPECT_NE(text.find("rank 3"), std::string::npos) << text;
  EXPECT_NE(text.find("leak 9 blocks 27000 bytes  planted_leak"), std::string::npos) << text;
  EXPECT_EQ(render_memory_section({}), "");
}

}  // namespace
