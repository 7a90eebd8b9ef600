// Live tables under real mpirun: a reader following a running rank, a rank killed with
// SIGKILL, files the reader must refuse, the bounded series, threads, fork and non-MPI
// processes. Everything is read back through hpcmon_live_reader (and hpcmon-live).
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "hpcmon/live_table.hpp"
#include "hpcmon/store.hpp"
#include "live_table_format.hpp"

namespace fs = std::filesystem;
using hpcmon::live::LiveTableError;
using hpcmon::live::Snapshot;
using hpcmon::live::State;

namespace {

const std::string kPreload = HPCMON_MPI_PRELOAD;
const std::string kLoop = HPCMON_LIVE_LOOP;
const std::string kCli = HPCMON_LIVE_CLI;
const std::string kMpiexec = HPCMON_MPIEXEC;

class Scratch {
 public:
  Scratch() {
    char tmpl[] = "/tmp/hpcmon-live-test-XXXXXX";
    dir_ = mkdtemp(tmpl);
    fs::create_directory(dir_ / "run");
    fs::create_directory(dir_ / "records");
  }
  ~Scratch() {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  fs::path dir() const { return dir_; }
  fs::path run() const { return dir_ / "run"; }

 private:
  fs::path dir_;
};

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// mpirun in the background: 2 ranks of live_loop under the preload; output in scratch files.
pid_t start_mpirun(const Scratch& s, const std::vector<std::string>& loop_args,
                   const std::vector<std::string>& extra_env = {}) {
  std::vector<std::string> argv = {kMpiexec, "-np", "2"};
  std::vector<std::string> env = {"LD_PRELOAD=" + kPreload, "HPCMON_RUN_DIR=" + s.run().string(),
                                  "HPCMON_OUTPUT_DIR=" + (s.dir() / "records").string(), "HPCMON_MPI_QUIET=1",
                                  "HPCMON_CONFIG=" + (s.dir() / "no-config.yaml").string()};
  env.insert(env.end(), extra_env.begin(), extra_env.end());
  for (const std::string& e : env) {
    argv.push_back("-x");
    argv.push_back(e);
  }
  argv.push_back(kLoop);
  argv.insert(argv.end(), loop_args.begin(), loop_args.end());
  pid_t pid = fork();
  if (pid == 0) {
    setpgid(0, 0);
    int out = open((s.dir() / "stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    int err = open((s.dir() / "stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(out, 1);
    dup2(err, 2);
    std::vector<char*> args;
    for (std::string& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    execv(args[0], args.data());
    _exit(127);
  }
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

bool exited(pid_t pid, int* code) {
  int status = 0;
  if (waitpid(pid, &status, WNOHANG) != pid) return false;
  *code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return true;
}

// The live table of `rank` in the run directory, or "" while it does not exist yet.
std::string table_of(const fs::path& run, int rank) {
  for (const std::string& name : hpcmon::live::list_live_tables(run)) {
    try {
      if (hpcmon::live::read_live_table((run / name).string()).rank == rank) return (run / name).string();
    } catch (const LiveTableError&) {
    }
  }
  return "";
}

std::string wait_for_table(const fs::path& run, int rank, pid_t mpirun) {
  for (int i = 0; i < 3000; ++i) {
    std::string p = table_of(run, rank);
    if (!p.empty()) return p;
    int code = 0;
    if (exited(mpirun, &code)) return "";
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return "";
}

std::uint64_t calls_of(const Snapshot& s, const char* fn) {
  const auto* f = s.function(fn);
  return f ? f->calls : 0;
}

// Every row is consistent with itself: 8 bytes per message, one histogram entry per call.
void expect_send_row_consistent(const Snapshot& s) {
  const auto* f = s.function("MPI_Send");
  if (!f) return;
  EXPECT_EQ(f->bytes, 8 * f->calls);
  std::uint64_t in_hist = 0;
  for (std::uint64_t h : f->size_hist) in_hist += h;
  EXPECT_EQ(in_hist, f->calls);
  EXPECT_EQ(f->size_hist.at(4), f->calls);  // 8 bytes: bin [8, 16)
}

long last_progress(const fs::path& file) {
  long last = 0;
  std::istringstream in(slurp(file));
  for (std::string word; in >> word;)
    if (word != "sent") last = std::stol(word);
  return last;
}

TEST(LiveTable, ReaderFollowsARunningRankAndEndsOnTheExactWorkload) {
  Scratch s;
  // 40 batches of 500 messages, 25 ms apart: about a second of traffic.
  pid_t mpirun = start_mpirun(s, {"40", "500", "25", (s.dir() / "progress").string()});
  const std::string path = wait_for_table(s.run(), 0, mpirun);
  ASSERT_FALSE(path.empty()) << slurp(s.dir() / "stderr");
  std::vector<std::uint64_t> seen;
  int code = -1;
  while (!exited(mpirun, &code)) {
    Snapshot snap = hpcmon::live::read_live_table(path);
    EXPECT_EQ(snap.torn_rows, 0u);
    expect_send_row_consistent(snap);
    if (snap.state == State::running) {
      const std::uint64_t calls = calls_of(snap, "MPI_Send");
      if (!seen.empty()) {
        EXPECT_GE(calls, seen.back()) << "counts went backwards";
      }
      seen.push_back(calls);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(code, 0) << slurp(s.dir() / "stderr");
  // The reader saw the counts rise while the rank ran, in more than a few steps.
  std::vector<std::uint64_t> distinct;
  for (std::uint64_t c : seen)
    if (distinct.empty() || c != distinct.back()) distinct.push_back(c);
  EXPECT_GE(distinct.size(), 5u);
  EXPECT_LT(distinct.front(), 20000u);

  Snapshot end = hpcmon::live::read_live_table(path);
  EXPECT_EQ(end.state, State::finalized);
  EXPECT_EQ(end.rank, 0);
  EXPECT_EQ(end.world_size, 2);
  EXPECT_GT(end.end_ns, end.start_ns);
  EXPECT_EQ(calls_of(end, "MPI_Send"), 20000u);
  EXPECT_EQ(end.function("MPI_Send")->bytes, 160000u);
  EXPECT_EQ(calls_of(end, "MPI_Init_thread"), 1u);
  EXPECT_EQ(calls_of(end, "MPI_Barrier"), 1u);
  EXPECT_EQ(calls_of(end, "MPI_Finalize"), 1u);
  EXPECT_EQ(end.torn_rows, 0u);
  ASSERT_EQ(end.traffic.size(), 1u);
  EXPECT_EQ(end.traffic[0].peer, 1);
  EXPECT_EQ(end.traffic[0].messages, 20000u);
  EXPECT_EQ(end.traffic[0].bytes, 160000u);
  EXPECT_GT(end.function("MPI_Send")->total_s, 0.0);
  Snapshot rank1 = hpcmon::live::read_live_table(table_of(s.run(), 1));
  EXPECT_EQ(calls_of(rank1, "MPI_Recv"), 20000u);
  EXPECT_EQ(rank1.function("MPI_Recv")->bytes, 160000u);
  EXPECT_EQ(rank1.state, State::finalized);
  // The series' last point is the final table.
  ASSERT_FALSE(end.series.empty());
  EXPECT_EQ(end.series.back().mpi_calls, end.total_calls);
  EXPECT_GT(end.series.back().rss_bytes, 1u << 20);

  // hpcmon-live prints the same table.
  const fs::path printed = s.dir() / "printed";
  ASSERT_EQ(std::system((kCli + " " + path + " > " + printed.string()).c_str()), 0);
  const std::string text = slurp(printed);
  EXPECT_NE(text.find("state: finalized"), std::string::npos) << text;
  EXPECT_NE(text.find("MPI_Send"), std::string::npos);
  EXPECT_NE(text.find(" 20000 "), std::string::npos) << text;
}

TEST(LiveTable, RankKilledWithSigkillLeavesAReadableTable) {
  Scratch s;
  const fs::path progress = s.dir() / "progress";
  pid_t mpirun = start_mpirun(s, {"0", "300", "5", progress.string()});  // runs until killed
  const std::string path = wait_for_table(s.run(), 0, mpirun);
  ASSERT_FALSE(path.empty()) << slurp(s.dir() / "stderr");
  // Let it run a few batches, then kill rank 0 in the middle of its traffic.
  for (int i = 0; i < 2000 && last_progress(progress) < 3000; ++i)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const Snapshot before = hpcmon::live::read_live_table(path);
  ASSERT_GT(before.pid, 0);
  ASSERT_EQ(kill(pid_t(before.pid), SIGKILL), 0);
  const int code = wait_exit(mpirun);
  EXPECT_NE(code, 0);
  const long last = last_progress(progress);
  ASSERT_GE(last, 3000);

  Snapshot dead = hpcmon::live::read_live_table(path);
  EXPECT_EQ(dead.state, State::running);  // it never reached MPI_Finalize
  EXPECT_EQ(dead.pid, before.pid);
  EXPECT_LE(dead.torn_rows, 1u);
  const std::uint64_t sends = calls_of(dead, "MPI_Send");
  // Between what it printed last and the next value it would have printed.
  EXPECT_GE(sends, std::uint64_t(last));
  EXPECT_LE(sends, std::uint64_t(last + 300));
  ASSERT_EQ(dead.traffic.size(), 1u);
  // The peer slot is written just before the function row: killed in between, it leads by one.
  EXPECT_GE(dead.traffic[0].messages, sends);
  EXPECT_LE(dead.traffic[0].messages, sends + 1);
  if (dead.torn_rows == 0) expect_send_row_consistent(dead);
}

// A valid finished table to mangle.
std::string finished_table(const Scratch& s) {
  pid_t mpirun = start_mpirun(s, {"2", "10", "0", (s.dir() / "progress").string()});
  EXPECT_EQ(wait_exit(mpirun), 0) << slurp(s.dir() / "stderr");
  return table_of(s.run(), 0);
}

std::string refusal(const std::string& path, const hpcmon::live::ReadOptions& options = {}) {
  try {
    hpcmon::live::read_live_table(path, options);
  } catch (const LiveTableError& e) {
    return e.what();
  }
  return "";
}

void patch(const fs::path& p, std::size_t offset, const void* bytes, std::size_t n) {
  int fd = open(p.c_str(), O_WRONLY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(pwrite(fd, bytes, n, off_t(offset)), ssize_t(n));
  close(fd);
}

TEST(LiveTable, TruncatedForeignAndUnsafeFilesAreRefusedWithAClearMessage) {
  Scratch s;
  const std::string good = finished_table(s);
  ASSERT_FALSE(good.empty());
  ASSERT_NO_THROW(hpcmon::live::read_live_table(good));
  namespace fmt = hpcmon::live::format;
  const fs::path bad = s.dir() / "bad";
  fs::create_directory(bad);

  fs::copy_file(good, bad / "short.live");
  fs::resize_file(bad / "short.live", 100);
  EXPECT_NE(refusal((bad / "short.live").string()).find("too short for a live table (100 bytes)"), std::string::npos);

  fs::copy_file(good, bad / "half.live");
  fs::resize_file(bad / "half.live", fs::file_size(good) / 2);
  EXPECT_NE(refusal((bad / "half.live").string()).find("(truncated or still being created)"), std::string::npos)
      << refusal((bad / "half.live").string());

  fs::copy_file("/bin/sh", bad / "foreign.live", fs::copy_options::overwrite_existing);
  EXPECT_NE(refusal((bad / "foreign.live").string()).find("not an hpcmon live table (bad magic)"), std::string::npos);

  fs::copy_file(good, bad / "future.live");
  const std::uint32_t major = 99;
  patch(bad / "future.live", offsetof(fmt::Header, version_major), &major, sizeof major);
  EXPECT_NE(refusal((bad / "future.live").string()).find("unsupported format version 99.0"), std::string::npos);

  fs::copy_file(good, bad / "hostile.live");
  const std::uint64_t far = 1ull << 40;
  patch(bad / "hostile.live", offsetof(fmt::Header, threads_offset), &far, sizeof far);
  EXPECT_NE(refusal((bad / "hostile.live").string()).find("a region lies outside the file"), std::string::npos);

  fs::create_symlink(good, bad / "link.live");
  EXPECT_NE(refusal((bad / "link.live").string()).find("cannot open: Too many levels of symbolic links"),
            std::string::npos);

  ASSERT_EQ(mkfifo((bad / "fifo.live").c_str(), 0600), 0);
  EXPECT_NE(refusal((bad / "fifo.live").string()).find("not a regular file"), std::string::npos);

  hpcmon::live::ReadOptions other_owner;
  other_owner.expected_owner = geteuid() + 1;
  EXPECT_NE(refusal(good, other_owner).find("owned by uid " + std::to_string(geteuid())), std::string::npos);

  // The tool says the same and fails.
  const fs::path err = s.dir() / "cli-err";
  const int rc = std::system((kCli + " " + (bad / "foreign.live").string() + " >/dev/null 2>" + err.string()).c_str());
  EXPECT_EQ(WEXITSTATUS(rc), 1);
  EXPECT_NE(slurp(err).find("bad magic"), std::string::npos) << slurp(err);
}

TEST(LiveTable, SeriesIsDecimatedAndBoundedOnALongRunWithATinyInterval) {
  Scratch s;
  // 10 ms samples (the configuration's smallest interval) for ~3 s, cap 64.
  pid_t mpirun = start_mpirun(s, {"60", "20", "50", (s.dir() / "progress").string()},
                              {"HPCMON_GENERAL__SAMPLE_INTERVAL_S=0.01", "HPCMON_MPI_SERIES_POINTS=64"});
  ASSERT_EQ(wait_exit(mpirun), 0) << slurp(s.dir() / "stderr");
  Snapshot end = hpcmon::live::read_live_table(table_of(s.run(), 0));
  EXPECT_EQ(end.interval_ns, 10000000);
  EXPECT_EQ(end.series_cap, 64u);
  EXPECT_LE(end.series.size(), 64u);
  EXPECT_GE(end.series.size(), 16u);
  EXPECT_GE(end.decimations, 2u);  // ~300 ticks into 64 points
  EXPECT_EQ(end.series_step_ns, 10000000ll << end.decimations);
  for (std::size_t i = 1; i < end.series.size(); ++i) {
    EXPECT_GT(end.series[i].t_ns, end.series[i - 1].t_ns);
    EXPECT_GE(end.series[i].mpi_calls, end.series[i - 1].mpi_calls);
    EXPECT_GE(end.series[i].user_cpu_s + end.series[i].sys_cpu_s,
              end.series[i - 1].user_cpu_s + end.series[i - 1].sys_cpu_s);
  }
  // Kept point i is a tick at least i steps after the first (the final point may come
  // sooner). A loaded machine wakes the sampler late, never early, so two neighbours may be
  // closer than a step (a late point, then one on time): the bound holds from the first
  // point, which is taken as the sampler starts (one step of slack for its own lateness).
  for (std::size_t i = 1; i + 1 < end.series.size(); ++i)
    EXPECT_GE(end.series[i].t_ns - end.series.front().t_ns,
              std::int64_t(i) * end.series_step_ns - end.series_step_ns)
        << "point " << i;
  EXPECT_EQ(end.series.back().mpi_calls, end.total_calls);
  EXPECT_EQ(calls_of(end, "MPI_Send"), 1200u);

  // The same series is in the record, for both ranks.
  std::vector<fs::path> records;
  for (const auto& e : fs::recursive_directory_iterator(s.dir() / "records"))
    if (e.path().extension() == ".h5") records.push_back(e.path());
  ASSERT_EQ(records.size(), 1u);
  const hpcmon::record::JobRecord rec = hpcmon::store::read_record(records[0]);
  const hpcmon::record::Series* calls0 = nullptr;
  int rss_series = 0;
  for (const auto& series : rec.series) {
    if (series.owner_kind == "rank" && series.owner == "0" && series.metric == "mpi_calls") calls0 = &series;
    if (series.owner_kind == "rank" && series.metric == "rss") ++rss_series;
  }
  EXPECT_EQ(rss_series, 2);
  ASSERT_NE(calls0, nullptr);
  ASSERT_EQ(calls0->values.size(), end.series.size());
  EXPECT_EQ(calls0->t_ns.back(), end.series.back().t_ns);
  EXPECT_EQ(calls0->values.back(), double(end.total_calls));
}

TEST(LiveTable, ThreadsHaveBlocksOfTheirOwnMergedByTheReader) {
  Scratch s;
  // MPI_THREAD_MULTIPLE: four threads of 1000 messages each.
  pid_t mpirun = start_mpirun(s, {"1", "1000", "0", (s.dir() / "progress").string(), "4"});
  ASSERT_EQ(wait_exit(mpirun), 0) << slurp(s.dir() / "stderr");
  for (int rank : {0, 1}) {
    Snapshot end = hpcmon::live::read_live_table(table_of(s.run(), rank));
    EXPECT_EQ(end.threads_used, 5u) << "the main thread and four workers; the sampler makes no MPI call";
    EXPECT_EQ(calls_of(end, rank == 0 ? "MPI_Send" : "MPI_Recv"), 4000u);
    EXPECT_EQ(end.function(rank == 0 ? "MPI_Send" : "MPI_Recv")->bytes, 32000u);
    EXPECT_EQ(end.untracked_calls, 0u);
    EXPECT_EQ(end.torn_rows, 0u);
  }
}

TEST(LiveTable, ForkedChildLeavesTheRankAndItsSamplerRunning) {
  Scratch s;
  pid_t mpirun = start_mpirun(s, {"20", "100", "20", (s.dir() / "progress").string(), "1", "fork"},
                              {"HPCMON_GENERAL__SAMPLE_INTERVAL_S=0.01"});
  ASSERT_EQ(wait_exit(mpirun), 0) << slurp(s.dir() / "stderr");
  Snapshot end = hpcmon::live::read_live_table(table_of(s.run(), 0));
  EXPECT_EQ(end.state, State::finalized);
  EXPECT_EQ(calls_of(end, "MPI_Send"), 2000u);
  EXPECT_EQ(end.torn_rows, 0u);
  // ~400 ms of 10 ms samples after the fork: the sampler kept going.
  ASSERT_GE(end.series.size(), 10u);
  EXPECT_GT(end.series.back().t_ns - end.series.front().t_ns, 200000000);
}

TEST(LiveTable, SamplingThreadDoesNotKeepAProcessAliveThatSkipsFinalize) {
  Scratch s;
  const auto t0 = std::chrono::steady_clock::now();
  pid_t mpirun = start_mpirun(s, {"2", "10", "0", (s.dir() / "progress").string(), "1", "exit"});
  int code = -1;
  while (!exited(mpirun, &code) && std::chrono::steady_clock::now() - t0 < std::chrono::seconds(30))
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  if (code == -1) {
    kill(-mpirun, SIGKILL);
    wait_exit(mpirun);
    FAIL() << "ranks that exit without MPI_Finalize did not end within 30 s";
  }
  // Both ranks ended; their tables stay readable, still "running" (no MPI_Finalize).
  for (int rank : {0, 1}) {
    Snapshot end = hpcmon::live::read_live_table(table_of(s.run(), rank));
    EXPECT_EQ(end.state, State::running);
    EXPECT_EQ(calls_of(end, rank == 0 ? "MPI_Send" : "MPI_Recv"), 20u);
    // Gone, or a zombie left to an init that has not reaped it yet.
    const std::string status = slurp("/proc/" + std::to_string(end.pid) + "/status");
    EXPECT_TRUE(status.empty() || status.find("State:\tZ") != std::string::npos) << "rank " << rank << " alive";
  }
}

TEST(LiveTable, NonMpiProcessesHaveNoTableAndNoThread) {
  Scratch s;
  const fs::path out = s.dir() / "status";
  const std::string cmd = "LD_PRELOAD=" + kPreload + " HPCMON_RUN_DIR=" + s.run().string() +
                          " grep '^Threads:' /proc/self/status > " + out.string();
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  EXPECT_EQ(slurp(out), "Threads:\t1\n");
  EXPECT_TRUE(fs::is_empty(s.run()));
}

}  // namespace
