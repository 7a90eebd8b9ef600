#include "hpcmon/agent/step.hpp"

#include <sys/wait.h>

#include <algorithm>
#include <csignal>
#include <set>

namespace hpcmon::agent {

void TaskState::observe(const sampler::ProcessSample& s) {
  live_[s.pid] = s;
  io_seen_ = io_seen_ || s.io_available;
}

std::vector<pid_t> TaskState::roots() const {
  std::vector<pid_t> out;
  if (!root_gone_ && !exited_) out.push_back(pid_);
  for (const auto& [pid, sample] : live_)
    if (pid != pid_) out.push_back(pid);
  return out;
}

void TaskState::retire(pid_t pid) {
  if (pid == pid_) root_gone_ = true;
  auto it = live_.find(pid);
  if (it == live_.end()) return;
  retired_cpu_s_ += it->second.cpu_user_s + it->second.cpu_system_s;
  if (it->second.io_available) {
    retired_read_ += it->second.read_bytes;
    retired_write_ += it->second.write_bytes;
  }
  live_.erase(it);
}

TaskTotals TaskState::totals() const {
  TaskTotals t;
  t.cpu_s = retired_cpu_s_;
  t.read_bytes = retired_read_;
  t.write_bytes = retired_write_;
  for (const auto& [pid, s] : live_) {
    t.cpu_s += s.cpu_user_s + s.cpu_system_s;
    t.rss_bytes += s.rss_bytes;
    if (s.io_available) {
      t.read_bytes += s.read_bytes;
      t.write_bytes += s.write_bytes;
    }
  }
  t.processes = static_cast<std::uint32_t>(live_.size());
  t.io_available = io_seen_;
  return t;
}

void TaskState::record_tick(std::int64_t t_ns) {
  const TaskTotals t = totals();
  std::vector<Reading> row = {{"cpu_time", "s", t.cpu_s},
                              {"rss", "B", static_cast<double>(t.rss_bytes)},
                              {"processes", "1", static_cast<double>(t.processes)}};
  if (t.io_available) {
    row.push_back({"read_bytes", "B", static_cast<double>(t.read_bytes)});
    row.push_back({"write_bytes", "B", static_cast<double>(t.write_bytes)});
  }
  table_.append(t_ns, row);
}

void StepState::add_task(const TaskEvent& t) {
  const std::int32_t key = t.global_task >= 0 ? t.global_task : static_cast<std::int32_t>(t.pid);
  auto it = tasks_.find(key);
  if (it != tasks_.end() && it->second.pid() != t.pid) tasks_.erase(it);  // a task relaunched with a new pid
  tasks_.try_emplace(key, t.task, t.global_task, t.pid);
  vanished_since_ns = 0;
}

void StepState::task_exit(const TaskEvent& t) {
  for (auto& [key, task] : tasks_)
    if (task.pid() == t.pid) {
      task.exited(t.status);
      return;
    }
  // an exit without a start (the start line was lost): still counts for the kill reason
  TaskState task(t.task, t.global_task, t.pid);
  task.exited(t.status);
  tasks_.emplace(t.global_task >= 0 ? t.global_task : static_cast<std::int32_t>(t.pid), std::move(task));
}

std::vector<std::pair<pid_t, pid_t>> StepState::search_roots() const {
  std::vector<std::pair<pid_t, pid_t>> out;
  for (const auto& [key, task] : tasks_)
    for (pid_t root : task.roots()) out.emplace_back(task.pid(), root);
  return out;
}

TaskState* StepState::task_of_pid(pid_t pid) {
  for (auto& [key, task] : tasks_)
    if (task.pid() == pid) return &task;
  return nullptr;
}

TaskState* StepState::task_following(pid_t pid) {
  for (auto& [key, task] : tasks_)
    if (task.follows(pid)) return &task;
  return nullptr;
}

std::size_t StepState::live_processes() const {
  std::size_t n = 0;
  for (const auto& [key, task] : tasks_) n += task.live_processes();
  return n;
}

pid_t StepState::any_live_pid() const {
  for (const auto& [key, task] : tasks_)
    if (const pid_t pid = task.any_live_pid()) return pid;
  return 0;
}

TaskTotals StepState::step_totals() const {
  TaskTotals sum;
  for (const auto& [key, task] : tasks_) {
    const TaskTotals t = task.totals();
    sum.cpu_s += t.cpu_s;
    sum.rss_bytes += t.rss_bytes;
    sum.read_bytes += t.read_bytes;
    sum.write_bytes += t.write_bytes;
    sum.processes += t.processes;
    sum.io_available = sum.io_available || t.io_available;
  }
  return sum;
}

void StepState::record_process_tick(std::int64_t t_ns) {
  if (tasks_.empty()) return;
  for (auto& [key, task] : tasks_) task.record_tick(t_ns);
  const TaskTotals sum = step_totals();
  std::vector<Reading> row = {{"step_cpu_time", "s", sum.cpu_s},
                              {"step_rss", "B", static_cast<double>(sum.rss_bytes)},
                              {"step_processes", "1", static_cast<double>(sum.processes)}};
  if (sum.io_available) {
    row.push_back({"step_read_bytes", "B", static_cast<double>(sum.read_bytes)});
    row.push_back({"step_write_bytes", "B", static_cast<double>(sum.write_bytes)});
  }
  step_table_.append(t_ns, row);
}

void StepState::record_node(const NodeSnapshot& s) {
  node_table_.append(s.t_ns, s.row());
  if (node_edges_.size() < 2) node_edges_.push_back(s);
  else node_edges_[1] = s;
  if (s.cpu_util) {
    cpu_util_sum_ += *s.cpu_util;
    cpu_util_max_ = std::max(cpu_util_max_, *s.cpu_util);
    ++cpu_util_n_;
  }
  mem_used_max_ = std::max(mem_used_max_, s.mem_used_bytes);
  mem_total_ = s.mem_total_bytes;
  load1_max_ = std::max(load1_max_, s.load1);
}

namespace {

// Why Slurm ended a job, from its base state; empty when the state names no kill.
std::string reason_of_job_state(const std::string& state) {
  if (state == "TIMEOUT") return "time limit";
  if (state == "CANCELLED") return "cancelled";
  if (state == "PREEMPTED") return "preempted";
  if (state == "NODE_FAIL") return "node failure";
  if (state == "OUT_OF_MEMORY") return "out of memory";
  if (state == "DEADLINE") return "deadline";
  return {};
}

// Signals that ended the step's tasks.
std::set<int> signals_of(const std::map<std::int32_t, TaskState>& tasks, bool ended, const StepEnd& end) {
  std::set<int> signals;
  bool any_status = false;
  for (const auto& [key, task] : tasks) {
    if (!task.has_exited()) continue;
    any_status = true;
    if (WIFSIGNALED(task.status())) signals.insert(WTERMSIG(task.status()));
  }
  // Without task statuses, Slurm's step exit code 128+N says signal N.
  if (!any_status && ended && end.exit_status > 128 && end.exit_status < 128 + 65) signals.insert(end.exit_status - 128);
  return signals;
}

}  // namespace

bool StepState::signalled() const { return !signals_of(tasks_, ended_, end_).empty(); }

std::string StepState::kill_reason() const {
  const std::set<int> signals = signals_of(tasks_, ended_, end_);
  if (signals.empty()) return {};
  const std::int64_t end_ns = ended_ ? end_.end_ns : 0;
  const std::uint64_t limit_s = time_limit_s();
  const bool over_limit = limit_s > 0 && end_ns > meta_.start_ns &&
                          (end_ns - meta_.start_ns) >= static_cast<std::int64_t>(limit_s) * 1'000'000'000 - 1'000'000'000;
  const std::string slurm_reason = reason_of_job_state(slurm_.state);
  std::vector<std::string> reasons;
  for (int sig : signals) {
    std::string r;
    if ((sig == SIGTERM || sig == SIGKILL) && !slurm_reason.empty()) r = slurm_reason;
    else if ((sig == SIGTERM || sig == SIGKILL) && over_limit) r = "time limit";
    else if (sig == SIGTERM) r = "cancelled";
    else r = "killed by signal " + std::to_string(sig);
    if (std::find(reasons.begin(), reasons.end(), r) == reasons.end()) reasons.push_back(r);
  }
  std::string out;
  for (const auto& r : reasons) out += (out.empty() ? "" : "; ") + r;
  return out;
}

std::uint64_t StepState::time_limit_s() const {
  if (meta_.time_limit_s) return meta_.time_limit_s;
  return slurm_.time_limit_s ? slurm_.time_limit_s : allocation_.time_limit_s;
}

std::uint64_t StepState::memory_bytes() const {
  return meta_.mem_bytes ? meta_.mem_bytes : allocation_.memory_on_node(count_cpu_list(meta_.cpus));
}

record::JobRecord StepState::build_record(const NodeIdentity& node) const {
  record::JobRecord rec;
  auto& j = rec.job;
  j.key.cluster = meta_.cluster;
  j.key.job = meta_.job;
  j.key.step = id_.step;
  j.key.restart_count = meta_.restart_count;
  j.key.run = 0;
  j.job_name = meta_.job_name;
  j.user = meta_.user;
  j.account = meta_.account;
  j.partition = meta_.partition;
  j.node_list = meta_.node_list;
  j.node_count = 0;  // the merge counts node rows; this partial knows only its own node
  j.rank_count = 0;  // MPI ranks are rank 0's business
  j.allocation.cores = count_cpu_list(meta_.cpus);
  j.allocation.memory_bytes = memory_bytes();
  j.allocation.time_limit_s = time_limit_s();
  j.command_line = meta_.argv;
  j.start_ns = meta_.start_ns;
  j.end_ns = ended_ ? end_.end_ns : (node_edges_.empty() ? meta_.start_ns : node_edges_.back().t_ns);
  if (j.end_ns < j.start_ns) j.end_ns = j.start_ns;
  j.exit_status_known = ended_;
  j.exit_status = ended_ ? end_.exit_status : 0;
  j.counter_source = "proc";
  j.counter_quality = "software";
  j.partial_reason = kill_reason();
  j.partial = !j.partial_reason.empty();
  rec.has_mpi = false;

  record::NodeRow row;
  row.node = meta_.node;
  row.hostname = node.hostname;
  row.fqdn = node.fqdn;
  row.cpus = node.cpus;
  row.mem_total_bytes = static_cast<std::uint64_t>(mem_total_);
  row.cpu_util_mean = cpu_util_n_ ? cpu_util_sum_ / cpu_util_n_ : 0;
  row.cpu_util_max = cpu_util_max_;
  row.mem_used_max_bytes = static_cast<std::uint64_t>(mem_used_max_);
  row.load1_max = load1_max_;
  if (node_edges_.size() == 2) {
    const auto& a = node_edges_[0];
    const auto& b = node_edges_[1];
    auto delta = [](double after, double before) {
      return after > before ? static_cast<std::uint64_t>(after - before) : std::uint64_t{0};
    };
    row.disk_read_bytes = delta(b.disk_read_bytes, a.disk_read_bytes);
    row.disk_write_bytes = delta(b.disk_write_bytes, a.disk_write_bytes);
    row.net_rx_bytes = delta(b.net_rx_bytes, a.net_rx_bytes);
    row.net_tx_bytes = delta(b.net_tx_bytes, a.net_tx_bytes);
  }
  rec.nodes.push_back(row);

  node_table_.to_series("node", meta_.node, "proc", rec.series);
  step_table_.to_series("node", meta_.node, "proc", rec.series);
  for (const auto& [key, task] : tasks_)
    task.table().to_series("task", std::to_string(task.global_task() >= 0 ? task.global_task() : key), "proc",
                           rec.series);
  return rec;
}

}  // namespace hpcmon::agent
