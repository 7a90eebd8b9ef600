// One job step followed on this node: its metadata from step_start, its tasks and every
// process below them, their series (cumulative CPU time, RSS, bytes read and written), the
// node series over the step's lifetime, and at the end the node partial record.
// Knows nothing about sockets, files or threads: the agent feeds it readings.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "hpcmon/agent/cgroup_limits.hpp"
#include "hpcmon/agent/node_sampler.hpp"
#include "hpcmon/live_table.hpp"
#include "hpcmon/memprof_record.hpp"
#include "hpcmon/agent/protocol.hpp"
#include "hpcmon/agent/sample_table.hpp"
#include "hpcmon/agent/slurm_job_state.hpp"
#include "hpcmon/record.hpp"
#include "hpcmon/sampler/process_metrics.hpp"

namespace hpcmon::agent {

// Totals of one task and its descendants at one instant.
struct TaskTotals {
  double cpu_s = 0;  // user + system, including processes that already ended
  std::uint64_t rss_bytes = 0;  // processes alive now
  std::uint64_t read_bytes = 0, write_bytes = 0;
  std::uint32_t processes = 0;
  bool io_available = false;
};

class TaskState {
 public:
  TaskState(std::int32_t task, std::int32_t global_task, pid_t pid) : task_(task), global_(global_task), pid_(pid) {}
  void observe(const sampler::ProcessSample& s);  // a reading of one of its processes
  void retire(pid_t pid);                          // that process ended: keep its last totals
  bool follows(pid_t pid) const { return live_.count(pid) != 0; }
  pid_t any_live_pid() const { return live_.empty() ? 0 : live_.begin()->first; }
  // Where to look for new descendants: the processes alive at the last reading, and the task's
  // own pid until it is seen gone (after that the pid may belong to somebody else).
  std::vector<pid_t> roots() const;
  TaskTotals totals() const;
  void record_tick(std::int64_t t_ns);
  void exited(int status) { exited_ = true, status_ = status; }

  std::int32_t task() const { return task_; }
  std::int32_t global_task() const { return global_; }
  pid_t pid() const { return pid_; }
  bool has_exited() const { return exited_; }
  int status() const { return status_; }
  std::size_t live_processes() const { return live_.size(); }
  const SampleTable& table() const { return table_; }

 private:
  std::int32_t task_, global_;
  pid_t pid_;
  bool exited_ = false, root_gone_ = false;
  int status_ = 0;
  std::map<pid_t, sampler::ProcessSample> live_;
  bool io_seen_ = false;  // /proc/<pid>/io was readable once: its series stay, ended processes included
  double retired_cpu_s_ = 0;
  std::uint64_t retired_read_ = 0, retired_write_ = 0;
  SampleTable table_;
};

// What is known about the node itself, for the NodeRow.
struct NodeIdentity {
  std::string hostname, fqdn;
  std::uint32_t cpus = 0;
};

class StepState {
 public:
  explicit StepState(StepId id) : id_(std::move(id)) {}

  void start(const StepStart& meta) { meta_ = meta, started_ = true; }
  void add_task(const TaskEvent& t);
  void task_exit(const TaskEvent& t);
  void end(const StepEnd& e) { end_ = e, ended_ = true; }
  // What slurmctld said about the job once its tasks died (state and time limit).
  void set_slurm(const SlurmJobState& s) {
    slurm_ = s, slurm_known_ = true;
    if (!allocation_known_) set_slurm_allocation(s);
  }
  // What slurmctld said about the job's allocation (time limit, memory) when asked at the
  // step's start; fills the record's allocation where step_start gave 0.
  void set_slurm_allocation(const SlurmJobState& s) { allocation_ = s, allocation_known_ = true; }

  // (task pid, root) pairs to search for descendants: see TaskState::roots().
  std::vector<std::pair<pid_t, pid_t>> search_roots() const;
  TaskState* task_of_pid(pid_t pid);
  TaskState* task_following(pid_t pid);
  void record_process_tick(std::int64_t t_ns);  // after the readings of one tick
  void record_node(const NodeSnapshot& s);
  std::size_t live_processes() const;

  // Partial flag and reason from the tasks' wait statuses and the step's exit code; when
  // Slurm's job state names why (TIMEOUT, CANCELLED, PREEMPTED, NODE_FAIL, OUT_OF_MEMORY,
  // DEADLINE), SIGTERM and SIGKILL take that reason.
  std::string kill_reason() const;
  bool signalled() const;  // a task died by a signal (or the step's exit code says so)
  bool slurm_known() const { return slurm_known_; }
  bool allocation_known() const { return allocation_known_; }
  std::uint64_t time_limit_s() const;
  std::uint64_t memory_bytes() const;  // per node: step_start's, else slurmctld's (0: unknown)
  bool allocation_asked = false;       // slurmctld was asked about the job at the step's start
  record::JobRecord build_record(const NodeIdentity& node) const;

  const StepId& id() const { return id_; }
  const StepStart& meta() const { return meta_; }
  bool started() const { return started_; }
  bool ended() const { return ended_; }
  bool has_tasks() const { return !tasks_.empty(); }
  std::int64_t vanished_since_ns = 0;  // when its last process was seen gone (0: alive)
  std::vector<live::Snapshot> live_ranks;  // the ranks' live tables as last read (live_ranks.hpp)
  // The cgroup memory limit of its processes, read once (again while absent, a few times).
  std::optional<MemoryLimit> mem_limit;
  std::uint32_t mem_limit_reads = 0;
  std::int64_t next_mem_limit_read_ns = 0;  // monotonic
  // Its memory profiles, held open since the job's epilog announced the run directory's
  // removal (job_end) while the partial was still to be written; shared by the job's steps.
  std::shared_ptr<const mem::ProfileFiles> memory_files;
  pid_t any_live_pid() const;  // a process of the step alive at the last tick, 0 when none
  TaskTotals step_totals() const;

 private:
  StepId id_;
  StepStart meta_;
  StepEnd end_;
  bool started_ = false, ended_ = false;
  SlurmJobState slurm_;
  bool slurm_known_ = false;
  SlurmJobState allocation_;
  bool allocation_known_ = false;
  std::map<std::int32_t, TaskState> tasks_;  // by global task id
  SampleTable node_table_, step_table_;
  std::vector<NodeSnapshot> node_edges_;  // the first and latest node snapshot of the step
  double cpu_util_sum_ = 0, cpu_util_max_ = 0;
  std::uint32_t cpu_util_n_ = 0;
  double mem_used_max_ = 0, mem_total_ = 0, load1_max_ = 0;
};

}  // namespace hpcmon::agent
