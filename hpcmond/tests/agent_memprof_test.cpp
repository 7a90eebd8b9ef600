// Memory profiles and the job's epilog: a real leaker under libhpcmon_mem.so writes its profile
// into the step's run directory, the epilog's job_end makes the agent hold it open, the folder
// is removed (as job_epilog does), and the partial written afterwards still has the planted
// leak in /memory. Without job_end the loss is one clear warning line.
#include <poll.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <gtest/gtest.h>

#include <cstdlib>

#include "harness.hpp"
#include "hpcmon/agent/protocol.hpp"
#include "hpcmon/memprof_record.hpp"
#include "hpcmon/store.hpp"

namespace hpcmon::agent::test {
namespace {

constexpr int kBlocks = 9, kBlockSize = 3000;

std::string profiled_step_start(const std::string& job, std::int64_t start, const fs::path& run_dir) {
  std::string line = step_start_line(job, "0", start, R"(,"mem_profile":"on")");
  const std::string placeholder = "/tmp/not-used";
  line.replace(line.find(placeholder), placeholder.size(), run_dir.string());
  return line;
}

// The leaker as the plugin launches a profiled task: preload, run directory, Slurm ids.
pid_t start_leaker(const fs::path& run_dir, const std::string& job) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::setenv("LD_PRELOAD", HPCMON_TEST_MEM_PRELOAD, 1);
    ::setenv("HPCMON_RUN_DIR", run_dir.c_str(), 1);
    ::setenv("SLURM_JOB_ID", job.c_str(), 1);
    ::setenv("SLURM_STEP_ID", "0", 1);
    ::setenv("MEMPROF_TEST_BLOCKS", std::to_string(kBlocks).c_str(), 1);
    ::setenv("MEMPROF_TEST_SIZE", std::to_string(kBlockSize).c_str(), 1);
    ::execl(HPCMON_TEST_LEAKER, HPCMON_TEST_LEAKER, static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

// job_epilog's exchange: the line, then the agent's one-line answer ("" after 10 s).
std::string ask(const fs::path& socket_path, const std::string& line) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, socket_path.c_str(), sizeof addr.sun_path - 1);
  std::string answer;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
      ::send(fd, line.data(), line.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(line.size())) {
    char buffer[256];
    pollfd p{fd, POLLIN, 0};
    while (answer.find('\n') == std::string::npos && ::poll(&p, 1, 10000) == 1) {
      const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
      if (n <= 0) break;
      answer.append(buffer, static_cast<std::size_t>(n));
    }
  }
  ::close(fd);
  return answer;
}

fs::path partial_path(const AgentHarness& h, const std::string& job, std::int64_t start) {
  record::RecordKey k;
  k.cluster = "testcl";
  k.job = job;
  k.step = "0";
  return store::node_partial_path(h.records(), "root", start, k, "node1");
}

// Runs the leaker as the step's one task and waits for it; the profile is then in run_dir.
void run_profiled_task(AgentHarness& h, const fs::path& run_dir, const std::string& job) {
  const pid_t pid = start_leaker(run_dir, job);
  ASSERT_GT(pid, 0);
  ASSERT_EQ(h.send(task_line("task_start", job, "0", 0, pid)), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  ASSERT_EQ(h.send(task_line("task_exit", job, "0", 0, pid, status)), 0);
}

std::size_t profiles_in(const fs::path& dir) {
  std::size_t n = 0;
  for (const auto& e : fs::directory_iterator(dir)) n += e.path().extension() == ".memprof";
  return n;
}

TEST(AgentMemory, ProfilesHeldAtJobEndReachThePartialAfterTheRunDirectoryIsRemoved) {
  AgentHarness h("memheld");
  const fs::path run_dir = h.dir() / "job501";
  fs::create_directories(run_dir);
  const std::int64_t start = now_ns();
  ASSERT_EQ(h.send(profiled_step_start("501", start, run_dir)), 0);
  run_profiled_task(h, run_dir, "501");
  ASSERT_EQ(profiles_in(run_dir), 1u);

  // The epilog: the agent answers once it holds the profile; then the folder goes.
  const std::string answer = ask(h.options().socket_path, R"({"v":1,"event":"job_end","job_id":501,"step":""})"
                                                          "\n");
  EXPECT_EQ(answer, std::string(kJobEndAnswer));
  fs::remove_all(run_dir);

  ASSERT_EQ(h.send(step_end_line("501", "0", now_ns(), 0)), 0);
  const fs::path partial = partial_path(h, "501", start);
  ASSERT_TRUE(wait_for([&] { return fs::exists(partial); }));
  const auto processes = mem::read_memory_group(partial.string());
  ASSERT_EQ(processes.size(), 1u);
  ASSERT_EQ(processes[0].user_leaks.size(), 1u);
  EXPECT_EQ(processes[0].user_leaks[0].function, "planted_leak");
  EXPECT_EQ(processes[0].user_leaks[0].count, static_cast<std::uint64_t>(kBlocks));
  EXPECT_EQ(processes[0].user_leaks[0].bytes, static_cast<std::uint64_t>(kBlocks * kBlockSize));
  EXPECT_EQ(processes[0].live_blocks, static_cast<std::uint64_t>(kBlocks));
}

TEST(AgentMemory, AProfiledStepWhosePartialHasNoProfileIsOneWarning) {
  // Long intervals: the step is never written early as "vanished" (with its profile still there).
  AgentHarness h("memlost", [](AgentOptions& o) { o.process_interval_s = o.node_interval_s = 5; });
  const fs::path run_dir = h.dir() / "job502";
  fs::create_directories(run_dir);
  const std::int64_t start = now_ns();
  ASSERT_EQ(h.send(profiled_step_start("502", start, run_dir)), 0);
  run_profiled_task(h, run_dir, "502");
  fs::remove_all(run_dir);  // removed with no job_end: nothing held it

  testing::internal::CaptureStderr();
  ASSERT_EQ(h.send(step_end_line("502", "0", now_ns(), 0)), 0);
  const fs::path partial = partial_path(h, "502", start);
  const bool written = wait_for([&] { return h.counters().records_written == 1; });
  const std::string log = testing::internal::GetCapturedStderr();
  ASSERT_TRUE(written);
  EXPECT_TRUE(mem::read_memory_group(partial.string()).empty());
  EXPECT_NE(log.find("step 502.0: memory profiling was on, but the partial has no /memory: the run directory was "
                     "removed before its profiles were secured"),
            std::string::npos)
      << log;
}

TEST(AgentMemory, JobEndIsAnsweredAtOnceWhenNothingIsPending) {
  AgentHarness h("memnone");
  const std::string answer =
      ask(h.options().socket_path, R"({"v":1,"event":"job_end","job_id":777})"
                                   "\n");
  EXPECT_EQ(answer, std::string(kJobEndAnswer));
  EXPECT_EQ(h.counters().malformed, 0u);
}

TEST(AgentMemory, StepStartCarriesMemProfile) {
  const auto on = parse_event(step_start_line("7", "0", 1, R"(,"mem_profile":"on")"));
  ASSERT_TRUE(on.event) << on.error;
  EXPECT_EQ(on.event->start.mem_profile, std::optional<bool>(true));
  const auto off = parse_event(step_start_line("7", "0", 1, R"(,"mem_profile":"off")"));
  ASSERT_TRUE(off.event) << off.error;
  EXPECT_EQ(off.event->start.mem_profile, std::optional<bool>(false));
  const auto absent = parse_event(step_start_line("7", "0", 1));
  ASSERT_TRUE(absent.event) << absent.error;
  EXPECT_FALSE(absent.event->start.mem_profile.has_value());
  EXPECT_FALSE(parse_event(step_start_line("7", "0", 1, R"(,"mem_profile":"yes")")).event);
  const auto job_end = parse_event(R"({"v":1,"event":"job_end","job_id":12})");
  ASSERT_TRUE(job_end.event) << job_end.error;
  EXPECT_EQ(job_end.event->kind, EventKind::job_end);
  EXPECT_EQ(job_end.event->id.job_id, "12");
}

}  // namespace
}  // namespace hpcmon::agent::test
