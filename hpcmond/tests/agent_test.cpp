// The agent end to end without Slurm: a real agent on a temporary socket, a test that speaks
// the plugin's protocol for children it forks, and the node partial read back from disk.
#include <grp.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <vector>

#include "harness.hpp"
#include "hpcmon/agent/partial_writer.hpp"
#include "hpcmon/store.hpp"

namespace hpcmon::agent::test {
namespace {

constexpr std::size_t kAllocated = 64u << 20;

double process_cpu_s() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + ts.tv_nsec * 1e-9;
}

// A child that allocates and touches 64 MiB, burns `burn_s` of CPU, then exits with `code`.
pid_t fork_burner(double burn_s, int code) {
  const pid_t pid = fork();
  if (pid == 0) {
    auto* block = static_cast<volatile char*>(std::malloc(kAllocated));
    for (std::size_t i = 0; i < kAllocated; i += 4096) block[i] = 1;
    const double start = process_cpu_s();
    volatile double x = 0;
    while (process_cpu_s() - start < burn_s) x = x + std::sqrt(x + 1.0);
    _exit(code);
  }
  return pid;
}

// A child that sleeps until killed.
pid_t fork_sleeper() {
  const pid_t pid = fork();
  if (pid == 0) {
    pause();
    _exit(0);
  }
  return pid;
}

record::RecordKey key_of(const std::string& job, const std::string& step) {
  record::RecordKey k;
  k.cluster = "testcl";
  k.job = job;
  k.step = step;
  return k;
}

fs::path partial_of(const AgentHarness& h, const std::string& job, const std::string& step, std::int64_t start_ns,
                    const std::string& user = "root") {
  return store::node_partial_path(h.records(), user, start_ns, key_of(job, step), "node1");
}

const record::Series* find_series(const record::JobRecord& rec, const std::string& kind, const std::string& owner,
                                  const std::string& metric) {
  for (const auto& s : rec.series)
    if (s.owner_kind == kind && s.owner == owner && s.metric == metric) return &s;
  return nullptr;
}

double max_of(const std::vector<double>& v) {
  double m = 0;
  for (double x : v)
    if (!std::isnan(x)) m = std::max(m, x);
  return m;
}

TEST(Agent, BurningStepGivesRealProcessAndNodeSeries) {
  AgentHarness h("burn");
  const std::int64_t start = now_ns();
  ASSERT_EQ(h.send(step_start_line("101", "0", start)), 0);
  const pid_t child = fork_burner(1.0, 3);
  ASSERT_EQ(h.send(task_line("task_start", "101", "0", 0, child)), 0);
  int status = 0;
  rusage usage{};
  ASSERT_EQ(wait4(child, &status, 0, &usage), child);
  const double burned = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec * 1e-6 + usage.ru_stime.tv_sec +
                        usage.ru_stime.tv_usec * 1e-6;
  ASSERT_EQ(h.send(task_line("task_exit", "101", "0", 0, child, status)), 0);
  const std::int64_t end = now_ns();
  ASSERT_EQ(h.send(step_end_line("101", "0", end, 3)), 0);
  const fs::path path = partial_of(h, "101", "0", start);
  ASSERT_TRUE(wait_for([&] { return fs::exists(path); })) << path;

  const record::JobRecord rec = store::read_record(path);
  EXPECT_TRUE(store::check_consistency(rec).empty());
  EXPECT_EQ(rec.job.key.cluster, "testcl");
  EXPECT_EQ(rec.job.key.job, "101");
  EXPECT_EQ(rec.job.key.step, "0");
  EXPECT_EQ(rec.job.job_name, "burn \"test\"");
  EXPECT_EQ(rec.job.user, "root");
  EXPECT_EQ(rec.job.account, "acct");
  EXPECT_EQ(rec.job.partition, "debug");
  EXPECT_EQ(rec.job.command_line, "burn --seconds 1");
  EXPECT_EQ(rec.job.allocation.cores, 2u);
  EXPECT_EQ(rec.job.start_ns, start);
  EXPECT_EQ(rec.job.end_ns, end);
  EXPECT_TRUE(rec.job.exit_status_known);
  EXPECT_EQ(rec.job.exit_status, 3);
  EXPECT_FALSE(rec.job.partial);
  EXPECT_FALSE(rec.has_mpi);
  ASSERT_EQ(rec.nodes.size(), 1u);
  EXPECT_EQ(rec.nodes[0].node, "node1");
  EXPECT_GT(rec.nodes[0].mem_total_bytes, 0u);
  EXPECT_GT(rec.nodes[0].cpu_util_max, 0.0);

  const auto* cpu = find_series(rec, "task", "0", "cpu_time");
  const auto* rss = find_series(rec, "task", "0", "rss");
  ASSERT_TRUE(cpu && rss);
  EXPECT_EQ(cpu->unit, "s");
  EXPECT_EQ(cpu->source, "proc");
  EXPECT_EQ(rss->unit, "B");
  EXPECT_GE(cpu->values.size(), 5u);
  EXPECT_GE(max_of(cpu->values), 0.8 * burned) << "burned " << burned << " s";
  EXPECT_LE(max_of(cpu->values), burned + 0.05);
  EXPECT_GE(max_of(rss->values), static_cast<double>(kAllocated));
  EXPECT_TRUE(find_series(rec, "task", "0", "read_bytes"));
  EXPECT_TRUE(find_series(rec, "task", "0", "write_bytes"));
  const auto* step_cpu = find_series(rec, "node", "node1", "step_cpu_time");
  ASSERT_TRUE(step_cpu);
  EXPECT_DOUBLE_EQ(max_of(step_cpu->values), max_of(cpu->values));
  for (const char* metric : {"cpu_util", "cpu0_util", "mem_used", "load1", "disk_read", "net_rx"}) {
    const auto* s = find_series(rec, "node", "node1", metric);
    ASSERT_TRUE(s) << metric;
    EXPECT_GE(s->values.size(), 2u) << metric;
    for (std::size_t i = 0; i < s->t_ns.size(); ++i) {
      EXPECT_GE(s->t_ns[i], start - 1'000'000'000) << metric;
      EXPECT_LE(s->t_ns[i], end + 1'000'000'000) << metric;
    }
  }
  EXPECT_GT(max_of(find_series(rec, "node", "node1", "mem_used")->values), static_cast<double>(kAllocated));
  // the file is renamed into place a moment before the writer reports back
  EXPECT_TRUE(wait_for([&] { return h.counters().records_written == 1; }));
  EXPECT_EQ(h.counters().malformed, 0u);
}

TEST(Agent, DescendantsOfATaskAreCounted) {
  AgentHarness h("tree");
  const std::int64_t start = now_ns();
  ASSERT_EQ(h.send(step_start_line("102", "batch", start)), 0);
  // The task is a shell-like parent that only waits; the grandchild burns.
  const pid_t parent = fork();
  if (parent == 0) {
    const pid_t burner = fork_burner(0.6, 0);
    int st = 0;
    waitpid(burner, &st, 0);
    _exit(0);
  }
  ASSERT_EQ(h.send(task_line("task_start", "102", "batch", 0, parent)), 0);
  int status = 0;
  rusage usage{};
  ASSERT_EQ(wait4(parent, &status, 0, &usage), parent);
  // The parent's rusage includes the reaped grandchild.
  const double burned = usage.ru_utime.tv_sec + usage.ru_utime.tv_usec * 1e-6 + usage.ru_stime.tv_sec +
                        usage.ru_stime.tv_usec * 1e-6;
  ASSERT_EQ(h.send(task_line("task_exit", "102", "batch", 0, parent, status)), 0);
  ASSERT_EQ(h.send(step_end_line("102", "batch", now_ns(), 0)), 0);
  const fs::path path = partial_of(h, "102", "batch", start);
  ASSERT_TRUE(wait_for([&] { return fs::exists(path); }));
  const auto rec = store::read_record(path);
  const auto* cpu = find_series(rec, "task", "0", "cpu_time");
  const auto* procs = find_series(rec, "task", "0", "processes");
  ASSERT_TRUE(cpu && procs);
  EXPECT_GE(max_of(cpu->values), 0.8 * burned);
  EXPECT_EQ(max_of(procs->values), 2.0);  // the task and its child
  EXPECT_GE(max_of(find_series(rec, "task", "0", "rss")->values), static_cast<double>(kAllocated));
}

// A step whose only task is killed by `signal`: the partial the agent writes for it.
record::JobRecord partial_of_killed_step(const char* name, const char* job, int signal, int step_exit) {
  AgentHarness h(name);
  const std::int64_t start = now_ns();
  EXPECT_EQ(h.send(step_start_line(job, "0", start)), 0);
  const pid_t child = fork_sleeper();
  EXPECT_EQ(h.send(task_line("task_start", job, "0", 0, child)), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(150));
  kill(child, signal);
  int status = 0;
  waitpid(child, &status, 0);
  EXPECT_EQ(h.send(task_line("task_exit", job, "0", 0, child, status)), 0);
  EXPECT_EQ(h.send(step_end_line(job, "0", now_ns(), step_exit)), 0);
  const fs::path path = partial_of(h, job, "0", start);
  EXPECT_TRUE(wait_for([&] { return fs::exists(path); }));
  return store::read_record(path);
}

TEST(Agent, TaskKilledBySignal9MarksThePartial) {
  const auto rec = partial_of_killed_step("kill9", "103", SIGKILL, 137);
  EXPECT_TRUE(rec.job.partial);
  EXPECT_EQ(rec.job.partial_reason, "killed by signal 9");
  EXPECT_EQ(rec.job.exit_status, 137);
}

TEST(Agent, SigtermFromScancelIsCancelled) {
  const auto rec = partial_of_killed_step("term", "104", SIGTERM, 143);
  EXPECT_TRUE(rec.job.partial);
  EXPECT_EQ(rec.job.partial_reason, "cancelled");
}

TEST(Agent, NonRootPeerIsRefused) {
  AgentHarness h("peer");
  auto as_nobody = [&](const std::string& line) {
    const pid_t pid = fork();
    if (pid == 0) {
      if (setgroups(0, nullptr) != 0 || setgid(65534) != 0 || setuid(65534) != 0) _exit(100);
      _exit(h.send(line));
    }
    int status = 0;
    waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  };
  const std::int64_t start = now_ns();
  // The socket is 0600 root: the kernel refuses the connection itself.
  EXPECT_EQ(as_nobody(step_start_line("105", "0", start)), EACCES);
  // Even when the socket's mode is opened by mistake, SO_PEERCRED keeps the peer out.
  ASSERT_EQ(chmod(h.options().socket_path.c_str(), 0666), 0);
  EXPECT_EQ(as_nobody(step_start_line("105", "0", start)), 0);
  ASSERT_TRUE(wait_for([&] { return h.counters().refused_peers == 1; }));
  EXPECT_EQ(as_nobody(step_end_line("105", "0", now_ns(), 0)), 0);
  ASSERT_TRUE(wait_for([&] { return h.counters().refused_peers == 2; }));
  EXPECT_EQ(h.counters().events, 0u);
  // root is still heard
  ASSERT_EQ(h.send(step_start_line("106", "0", start)), 0);
  ASSERT_TRUE(wait_for([&] { return h.counters().events == 1; }));
  EXPECT_FALSE(fs::exists(partial_of(h, "105", "0", start)));
}

TEST(Agent, MalformedLinesAreCountedAndTheRestStillWorks) {
  AgentHarness h("malformed");
  const std::int64_t start = now_ns();
  std::string text = "not json\n{}\n[1,2]\n";
  text += R"({"v":1,"event":"step_start","job_id":107,"step":"0"})" "\n";  // lacks uid, user, node, start_ns
  text += R"({"v":1,"event":"task_start","job_id":"12; rm -rf /","step":"0","pid":5})" "\n";
  text += R"({"v":2,"event":"step_end","job_id":107,"step":"0","end_ns":1,"exit_status":0})" "\n";
  text += std::string(70000, 'x') + "\n";  // over 64 KiB
  text += step_start_line("107", "0", start) + "\n";
  ASSERT_EQ(send_text(h.options().socket_path, text), 0);
  ASSERT_TRUE(wait_for([&] { return h.counters().events == 1; }));
  const auto c = h.counters();
  EXPECT_EQ(c.malformed, 5u);
  EXPECT_EQ(c.unknown_version, 1u);
  EXPECT_EQ(c.oversized_lines, 1u);
  ASSERT_EQ(h.send(step_end_line("107", "0", now_ns(), 0)), 0);
  ASSERT_TRUE(wait_for([&] { return fs::exists(partial_of(h, "107", "0", start)); }));
}

TEST(Agent, MonitorOffStepsAreNotRecorded) {
  AgentHarness h("off");
  const std::int64_t start = now_ns();
  ASSERT_EQ(h.send(step_start_line("108", "0", start, R"(,"monitor":"off")")), 0);
  ASSERT_EQ(h.send(step_end_line("108", "0", now_ns(), 0)), 0);
  // Events are applied in order: once a monitored step sent after it is written, the
  // step_end of the off step was handled too.
  ASSERT_EQ(h.send(step_start_line("1080", "0", start)), 0);
  ASSERT_EQ(h.send(step_end_line("1080", "0", now_ns(), 0)), 0);
  ASSERT_TRUE(wait_for([&] { return h.counters().records_written >= 1; }));
  EXPECT_TRUE(fs::exists(partial_of(h, "1080", "0", start)));
  EXPECT_EQ(h.counters().records_written, 1u);
  EXPECT_FALSE(fs::exists(partial_of(h, "108", "0", start)));
}

TEST(Agent, VanishedStepIsWrittenThenCompletedByALateStepEnd) {
  AgentHarness h("vanish");
  const std::int64_t start = now_ns();
  ASSERT_EQ(h.send(step_start_line("109", "0", start)), 0);
  const pid_t child = fork_burner(0.2, 0);
  ASSERT_EQ(h.send(task_line("task_start", "109", "0", 0, child)), 0);
  int status = 0;
  waitpid(child, &status, 0);
  const fs::path path = partial_of(h, "109", "0", start);
  ASSERT_TRUE(wait_for([&] { return fs::exists(path); }));
  auto rec = store::read_record(path);
  EXPECT_FALSE(rec.job.exit_status_known);
  ASSERT_TRUE(find_series(rec, "task", "0", "cpu_time"));
  const std::int64_t end = now_ns();
  ASSERT_EQ(h.send(step_end_line("109", "0", end, 0)), 0);
  ASSERT_TRUE(wait_for([&] { return h.counters().records_written == 2; }));
  rec = store::read_record(path);
  EXPECT_TRUE(rec.job.exit_status_known);
  EXPECT_EQ(rec.job.end_ns, end);
}

TEST(Agent, SymlinkedUserFolderIsNeverFollowed) {
  AgentHarness h("symlink");
  const fs::path elsewhere = h.dir() / "elsewhere";
  fs::create_directories(elsewhere);
  fs::create_directory_symlink(elsewhere, h.records() / "root");
  const std::int64_t start = now_ns();
  ASSERT_EQ(h.send(step_start_line("110", "0", start)), 0);
  ASSERT_EQ(h.send(step_end_line("110", "0", now_ns(), 0)), 0);
  ASSERT_TRUE(wait_for([&] { return h.counters().record_errors == 1; }));
  EXPECT_TRUE(fs::is_empty(elsewhere));
  EXPECT_EQ(h.counters().records_written, 0u);
}

TEST(Agent, UserJobIsWrittenAsTheUserIntoAFolderOfTheUser) {
  AgentHarness h("user");
  const std::int64_t start = now_ns();
  ASSERT_EQ(h.send(step_start_line("112", "0", start, "", 65534, "nobody")), 0);
  ASSERT_EQ(h.send(step_end_line("112", "0", now_ns(), 0)), 0);
  const fs::path path = partial_of(h, "112", "0", start, "nobody");
  ASSERT_TRUE(wait_for([&] { return fs::exists(path); })) << path;
  struct stat st{};
  ASSERT_EQ(stat((h.records() / "nobody").c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
  EXPECT_EQ(st.st_mode & 07777, 02750u);
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);  // like rank 0's record: the file's owner is the job's user
  EXPECT_EQ(st.st_mode & 0777, 0640u);
}

TEST(Agent, SymlinkPlantedInsideTheUserFolderIsNeverFollowed) {
  AgentHarness h("planted");
  const std::int64_t start = now_ns();
  const fs::path user_dir = h.records() / "nobody";
  fs::create_directories(user_dir);
  ASSERT_EQ(chown(user_dir.c_str(), 65534, 65534), 0);
  // The user points its year folder at a place only root may write.
  const fs::path victim = h.dir() / "victim";
  fs::create_directories(victim);
  const std::string year = partial_of(h, "113", "0", start, "nobody").parent_path().parent_path().parent_path().filename();
  fs::create_directory_symlink(victim, user_dir / year);
  ASSERT_EQ(h.send(step_start_line("113", "0", start, "", 65534, "nobody")), 0);
  ASSERT_EQ(h.send(step_end_line("113", "0", now_ns(), 0)), 0);
  ASSERT_TRUE(wait_for([&] { return h.counters().record_errors == 1; }));
  EXPECT_TRUE(fs::is_empty(victim));
  EXPECT_EQ(h.counters().records_written, 0u);
}

TEST(Agent, AWriterThatOverrunsItsTimeIsKilledAndTheCallReturns) {
  const fs::path dir = make_temp_dir("slowwrite");
  record::JobRecord rec;
  rec.job.key = {"testcl", "114", "0", 0, 0};
  rec.job.start_ns = now_ns();
  PartialTarget target{dir, "root", 0, 0, "", "n1"};
  target.write_timeout = std::chrono::milliseconds(0);  // no child finishes an HDF5 write in 0 ms
  const auto begin = std::chrono::steady_clock::now();
  const WriteOutcome killed = write_partial(target, rec);
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::seconds(5));
  EXPECT_FALSE(killed.ok);
  EXPECT_NE(killed.error.find("writer process killed"), std::string::npos) << killed.error;
  target.write_timeout = std::chrono::seconds(30);
  const WriteOutcome written = write_partial(target, rec);
  EXPECT_TRUE(written.ok) << written.error;
  EXPECT_EQ(store::read_record(written.path).job.key.job, "114");
  fs::remove_all(dir);
}

TEST(Agent, TwoStepsShareOneSamplerAndGetTheirOwnRecords) {
  AgentHarness h("two");
  const std::int64_t start = now_ns();
  ASSERT_EQ(h.send(step_start_line("111", "0", start)), 0);
  ASSERT_EQ(h.send(step_start_line("111", "1", start)), 0);
  const pid_t a = fork_burner(0.4, 0), b = fork_sleeper();
  ASSERT_EQ(h.send(task_line("task_start", "111", "0", 0, a)), 0);
  ASSERT_EQ(h.send(task_line("task_start", "111", "1", 0, b)), 0);
  int status = 0;
  waitpid(a, &status, 0);
  ASSERT_EQ(h.send(step_end_line("111", "0", now_ns(), 0)), 0);
  kill(b, SIGKILL);
  waitpid(b, &status, 0);
  ASSERT_EQ(h.send(step_end_line("111", "1", now_ns(), 137)), 0);
  const fs::path pa = partial_of(h, "111", "0", start), pb = partial_of(h, "111", "1", start);
  ASSERT_TRUE(wait_for([&] { return fs::exists(pa) && fs::exists(pb); }));
  const auto ra = store::read_record(pa), rb = store::read_record(pb);
  EXPECT_GE(max_of(find_series(ra, "task", "0", "cpu_time")->values), 0.3);
  EXPECT_LT(max_of(find_series(rb, "task", "0", "cpu_time")->values), 0.1);  // the sleeper's CPU is its own
  EXPECT_EQ(rb.job.partial_reason, "killed by signal 9");  // no task_exit: from the exit code 128+9
  EXPECT_FALSE(ra.job.partial);
}

}  // namespace
}  // namespace hpcmon::agent::test
