// The partial flag and reason from wait statuses, exit codes and the time limit.
#include <gtest/gtest.h>

#include <csignal>

#include "hpcmon/agent/step.hpp"

namespace hpcmon::agent {
namespace {

constexpr std::int64_t kSecond = 1'000'000'000;

StepState step(std::uint64_t time_limit_s, std::int64_t ran_s, std::int32_t exit_status,
               const std::vector<int>& task_statuses) {
  StepState s({"5", "0"});
  StepStart meta;
  meta.user = "alice";
  meta.node = "n1";
  meta.start_ns = 100 * kSecond;
  meta.time_limit_s = time_limit_s;
  s.start(meta);
  pid_t pid = 1000;
  for (int st : task_statuses) {
    TaskEvent t{0, static_cast<std::int32_t>(pid - 1000), pid, 0};
    s.add_task(t);
    t.status = st;
    s.task_exit(t);
    ++pid;
  }
  s.end({meta.start_ns + ran_s * kSecond, exit_status});
  return s;
}

int signalled(int sig) { return sig; }          // raw wait status of a task killed by `sig`
int exited(int code) { return code << 8; }       // raw wait status of a normal exit

TEST(KillReason, FromWaitStatuses) {
  EXPECT_EQ(step(0, 5, 0, {exited(0), exited(0)}).kill_reason(), "");
  EXPECT_EQ(step(0, 5, 1, {exited(1)}).kill_reason(), "");
  EXPECT_EQ(step(0, 5, 137, {signalled(SIGKILL)}).kill_reason(), "killed by signal 9");
  EXPECT_EQ(step(0, 5, 143, {signalled(SIGTERM)}).kill_reason(), "cancelled");
  EXPECT_EQ(step(0, 5, 139, {signalled(SIGSEGV), exited(0)}).kill_reason(), "killed by signal 11");
  EXPECT_EQ(step(0, 5, 143, {signalled(SIGTERM), signalled(SIGKILL)}).kill_reason(), "killed by signal 9; cancelled");
}

TEST(KillReason, TimeLimitWhenKilledAtTheLimit) {
  EXPECT_EQ(step(60, 60, 143, {signalled(SIGTERM)}).kill_reason(), "time limit");
  EXPECT_EQ(step(60, 66, 137, {signalled(SIGTERM), signalled(SIGKILL)}).kill_reason(), "time limit");
  EXPECT_EQ(step(60, 30, 143, {signalled(SIGTERM)}).kill_reason(), "cancelled");
}

TEST(KillReason, SlurmsJobStateNamesTheReasonOfSigtermAndSigkill) {
  auto with_state = [](StepState s, const std::string& state, std::uint64_t limit_s = 0) {
    s.set_slurm({true, state, limit_s});
    return s.kill_reason();
  };
  EXPECT_EQ(with_state(step(0, 70, 143, {signalled(SIGTERM)}), "TIMEOUT", 60), "time limit");
  EXPECT_EQ(with_state(step(0, 75, 137, {signalled(SIGTERM), signalled(SIGKILL)}), "TIMEOUT"), "time limit");
  EXPECT_EQ(with_state(step(0, 5, 137, {signalled(SIGKILL)}), "OUT_OF_MEMORY"), "out of memory");
  EXPECT_EQ(with_state(step(0, 5, 143, {signalled(SIGTERM)}), "PREEMPTED"), "preempted");
  EXPECT_EQ(with_state(step(0, 5, 137, {signalled(SIGKILL)}), "NODE_FAIL"), "node failure");
  EXPECT_EQ(with_state(step(0, 5, 143, {signalled(SIGTERM)}), "CANCELLED"), "cancelled");
  EXPECT_EQ(with_state(step(0, 5, 137, {signalled(SIGKILL)}), "CANCELLED"), "cancelled");
  // A crash keeps its own reason; a job still RUNNING (scancel of one step) says nothing more.
  EXPECT_EQ(with_state(step(0, 5, 139, {signalled(SIGSEGV)}), "FAILED"), "killed by signal 11");
  EXPECT_EQ(with_state(step(0, 5, 143, {signalled(SIGTERM)}), "RUNNING"), "cancelled");
  // A step that ended on its own in a job that later timed out is not partial.
  EXPECT_EQ(with_state(step(0, 5, 0, {exited(0)}), "TIMEOUT", 60), "");
}

TEST(KillReason, SlurmsTimeLimitFillsTheRecordWhenSpankGaveNone) {
  StepState s = step(0, 61, 143, {signalled(SIGTERM)});
  s.set_slurm({true, "RUNNING", 60});
  EXPECT_EQ(s.kill_reason(), "time limit");  // killed at the limit Slurm reported
  EXPECT_EQ(s.build_record({"h", "h", 1}).job.allocation.time_limit_s, 60u);
}

TEST(StepRecord, SlurmsAllocationFillsANormallyEndedStep) {
  StepState s = step(0, 5, 0, {exited(0)});
  StepStart meta = s.meta();
  meta.cpus = "0-2";  // 3 of the job's CPUs on this node
  s.start(meta);
  SlurmJobState answer;
  answer.found = true, answer.state = "RUNNING", answer.time_limit_s = 420;
  set_memory_request(answer, 400, 3, 1);  // --mem=400M
  s.set_slurm_allocation(answer);
  record::JobRecord rec = s.build_record({"h", "h", 4});
  EXPECT_FALSE(rec.job.partial);
  EXPECT_EQ(rec.job.allocation.time_limit_s, 420u);
  EXPECT_EQ(rec.job.allocation.memory_bytes, 400ull << 20);
  EXPECT_EQ(rec.job.allocation.cores, 3u);
  // --mem-per-cpu=100M: per node, 100 MiB for each of the node's 3 CPUs.
  set_memory_request(answer, (1ull << 63) | 100, 6, 2);
  s.set_slurm_allocation(answer);
  EXPECT_EQ(s.build_record({"h", "h", 4}).job.allocation.memory_bytes, 300ull << 20);
  // What step_start gave (SPANK under CR_*_Memory) wins.
  meta.mem_bytes = 64ull << 20, meta.time_limit_s = 60;
  s.start(meta);
  rec = s.build_record({"h", "h", 4});
  EXPECT_EQ(rec.job.allocation.memory_bytes, 64ull << 20);
  EXPECT_EQ(rec.job.allocation.time_limit_s, 60u);
}

TEST(StepRecord, MemoryRequestEncodings) {
  SlurmJobState a;
  set_memory_request(a, 2048, 4, 2);
  EXPECT_EQ(a.memory_per_node_bytes, 2048ull << 20);
  EXPECT_EQ(a.memory_on_node(7), 2048ull << 20);  // per node whatever its CPUs
  set_memory_request(a, (1ull << 63) | 50, 4, 2);
  EXPECT_EQ(a.memory_per_node_bytes, 0u);
  EXPECT_EQ(a.memory_per_cpu_bytes, 50ull << 20);
  EXPECT_EQ(a.memory_on_node(3), 150ull << 20);
  EXPECT_EQ(a.memory_on_node(0), 100ull << 20);  // the node's count unknown: the job's CPUs / nodes
  set_memory_request(a, 0xfffffffffffffffeull, 4, 2);  // NO_VAL64
  EXPECT_EQ(a.memory_on_node(2), 0u);
  set_memory_request(a, 0, 4, 0);  // no request, no nodes
  EXPECT_EQ(a.memory_on_node(2), 0u);
  EXPECT_EQ(StepState({"5", "0"}).memory_bytes(), 0u);  // never asked: unknown
}

TEST(KillReason, JobStateNames) {
  EXPECT_EQ(job_state_name(6), "TIMEOUT");
  EXPECT_EQ(job_state_name(11), "OUT_OF_MEMORY");
  EXPECT_EQ(job_state_name(99), "");
  EXPECT_TRUE(job_state_is_final("TIMEOUT"));
  EXPECT_FALSE(job_state_is_final("RUNNING"));
  EXPECT_FALSE(job_state_is_final(""));
}

TEST(KillReason, FromTheExitCodeWithoutTaskStatuses) {
  EXPECT_EQ(step(0, 5, 137, {}).kill_reason(), "killed by signal 9");
  EXPECT_EQ(step(0, 5, 2, {}).kill_reason(), "");
}

TEST(TaskState, AGoneRootIsNeverSearchedAgainButItsLiveChildrenAre) {
  TaskState task(0, 0, 500);
  sampler::ProcessSample root, child;
  root.pid = 500, root.alive = true, root.cpu_user_s = 2;
  child.pid = 501, child.alive = true, child.cpu_user_s = 1, child.rss_bytes = 4096;
  task.observe(root);
  task.observe(child);
  EXPECT_EQ(task.roots(), (std::vector<pid_t>{500, 501}));
  task.retire(500);  // the task's process ended: pid 500 may now be anybody's
  EXPECT_EQ(task.roots(), (std::vector<pid_t>{501}));
  const TaskTotals t = task.totals();
  EXPECT_DOUBLE_EQ(t.cpu_s, 3.0);  // the ended process still counts
  EXPECT_EQ(t.rss_bytes, 4096u);  // only the living hold memory
  EXPECT_EQ(t.processes, 1u);
}

TEST(StepRecord, PartialRecordFields) {
  StepState s = step(60, 60, 143, {signalled(SIGTERM)});
  NodeIdentity node{"host1", "host1.example", 8};
  const record::JobRecord rec = s.build_record(node);
  EXPECT_TRUE(rec.job.partial);
  EXPECT_EQ(rec.job.partial_reason, "time limit");
  EXPECT_EQ(rec.job.allocation.time_limit_s, 60u);
  EXPECT_EQ(rec.job.end_ns, 160 * kSecond);
  EXPECT_TRUE(rec.job.exit_status_known);
  EXPECT_EQ(rec.job.exit_status, 143);
  ASSERT_EQ(rec.nodes.size(), 1u);
  EXPECT_EQ(rec.nodes[0].node, "n1");
  EXPECT_EQ(rec.nodes[0].hostname, "host1");
  EXPECT_EQ(rec.nodes[0].fqdn, "host1.example");
  EXPECT_EQ(rec.nodes[0].cpus, 8u);
  EXPECT_EQ(rec.job.rank_count, 0u);
  EXPECT_FALSE(rec.has_mpi);
}

}  // namespace
}  // namespace hpcmon::agent
