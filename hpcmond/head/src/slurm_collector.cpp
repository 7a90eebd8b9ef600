// libslurm polling (slurm_collector.hpp).
#include "hpcmon/head/slurm_collector.hpp"

#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>

#include <unistd.h>

#include <chrono>
#include <cstdlib>

namespace hpcmon::head {
namespace {

using nlohmann::json;

std::int64_t mono_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

std::string text(const char* value) { return value ? value : ""; }

std::string iso(time_t t) {
  if (t <= 0) return "";
  std::tm tm{};
  gmtime_r(&t, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return out;
}

std::string job_key(const slurm_job_info_t& job) {
  if (job.array_job_id != 0 && job.array_task_id != NO_VAL)
    return std::to_string(job.array_job_id) + "_" + std::to_string(job.array_task_id);
  if (job.het_job_id != 0 && job.het_job_id != NO_VAL)
    return std::to_string(job.het_job_id) + "+" + std::to_string(job.het_job_offset);
  return std::to_string(job.job_id);
}

// Memory the job asked for on each node (--mem, or --mem-per-cpu times its CPUs per node);
// 0 when it asked for none. Alerting compares a step's RSS with it (JobMemoryNearLimit).
double mem_per_node_bytes(const slurm_job_info_t& job) {
  const std::uint64_t mb = job.pn_min_memory;
  if (mb == 0 || mb == NO_VAL64) return 0;
  if (mb & MEM_PER_CPU) {
    const double cpus_per_node = job.num_nodes ? static_cast<double>(job.num_cpus) / job.num_nodes : job.num_cpus;
    return static_cast<double>(mb & ~MEM_PER_CPU) * cpus_per_node * 1048576.0;
  }
  return static_cast<double>(mb) * 1048576.0;
}

}  // namespace

std::string node_state_text(std::uint32_t state) {
  static const char* const base[] = {"UNKNOWN", "DOWN", "IDLE", "ALLOCATED",
                                     "ERROR",   "MIXED", "FUTURE"};
  const std::uint32_t b = state & NODE_STATE_BASE;
  std::string out = b < NODE_STATE_END ? base[b] : "UNKNOWN";
  const std::pair<std::uint32_t, const char*> flags[] = {
      {NODE_STATE_CLOUD, "CLOUD"},           {NODE_STATE_COMPLETING, "COMPLETING"},
      {NODE_STATE_DRAIN, "DRAIN"},           {NODE_STATE_DYNAMIC_FUTURE, "DYNAMIC_FUTURE"},
      {NODE_STATE_FAIL, "FAIL"},             {NODE_STATE_INVALID_REG, "INVALID_REG"},
      {NODE_STATE_MAINT, "MAINTENANCE"},     {NODE_STATE_NO_RESPOND, "NOT_RESPONDING"},
      {NODE_STATE_PLANNED, "PLANNED"},       {NODE_STATE_POWERED_DOWN, "POWERED_DOWN"},
      {NODE_STATE_POWERING_DOWN, "POWERING_DOWN"}, {NODE_STATE_POWERING_UP, "POWERING_UP"},
      {NODE_STATE_REBOOT_REQUESTED, "REBOOT_REQUESTED"}, {NODE_STATE_RES, "RESERVED"}};
  for (const auto& [bit, name] : flags)
    if (state & bit) out += std::string("+") + name;
  return out;
}

std::string job_state_text(std::uint32_t state) {
  static const char* const base[] = {"PENDING",   "RUNNING", "SUSPENDED", "COMPLETED",
                                     "CANCELLED", "FAILED",  "TIMEOUT",   "NODE_FAIL",
                                     "PREEMPTED", "BOOT_FAIL", "DEADLINE", "OUT_OF_MEMORY"};
  if (state & JOB_COMPLETING) return "COMPLETING";
  const std::uint32_t b = state & JOB_STATE_BASE;
  return b < JOB_END ? base[b] : "UNKNOWN";
}

SlurmCollector::SlurmCollector(double min_interval_s, Log& log, std::string cluster)
    : min_interval_s_(min_interval_s), log_(log), cluster_(std::move(cluster)),
      nodes_(std::make_shared<json>(json::array())),
      partitions_(std::make_shared<json>(json::array())),
      jobs_(std::make_shared<json>(json::array())) {}

SlurmCollector::~SlurmCollector() {
  slurm_free_node_info_msg(static_cast<node_info_msg_t*>(node_msg_));
  slurm_free_partition_info_msg(static_cast<partition_info_msg_t*>(partition_msg_));
  slurm_free_job_info_msg(static_cast<job_info_msg_t*>(job_msg_));
}

std::unique_ptr<SlurmCollector> SlurmCollector::connect(double min_interval_s, Log& log) {
  // libslurm exits the process when it finds no configuration: look for one first.
  const char* conf_env = std::getenv("SLURM_CONF");
  const std::string conf_path = conf_env && *conf_env ? conf_env : "/etc/slurm/slurm.conf";
  if (::access(conf_path.c_str(), R_OK) != 0) {
    log.once("slurm:conf", "no readable Slurm configuration (" + conf_path + "), running without Slurm");
    return nullptr;
  }
  slurm_init(conf_path.c_str());
  slurm_conf_t* conf = nullptr;
  if (slurm_load_ctl_conf(0, &conf) != SLURM_SUCCESS || !conf) {
    log.once("slurm:connect", std::string("Slurm not reachable, running without it: ") +
                                  slurm_strerror(slurm_get_errno()));
    return nullptr;
  }
  std::unique_ptr<SlurmCollector> collector(
      new SlurmCollector(min_interval_s, log, text(conf->cluster_name)));
  slurm_free_ctl_conf(conf);
  collector->rpcs_ = 1;
  collector->last_poll_mono_ns_ = 0;
  collector->poll();
  return collector;
}

void SlurmCollector::poll() {
  const std::int64_t now = mono_ns();
  if (last_poll_mono_ns_ != 0 && now - last_poll_mono_ns_ < static_cast<std::int64_t>(min_interval_s_ * 1e9 * 0.9))
    return;
  last_poll_mono_ns_ = now;
  bool changed = false;

  // Each load passes the previous answer's last_update: an unchanged state costs the
  // controller one cheap RPC and keeps our previous copy.
  auto* nodes = static_cast<node_info_msg_t*>(node_msg_);
  node_info_msg_t* fresh_nodes = nullptr;
  ++rpcs_;
  if (slurm_load_node(nodes ? nodes->last_update : 0, &fresh_nodes, SHOW_ALL) == SLURM_SUCCESS) {
    slurm_free_node_info_msg(nodes);
    node_msg_ = nodes = fresh_nodes;
    changed = true;
  } else if (slurm_get_errno() != SLURM_NO_CHANGE_IN_DATA) {
    log_.once("slurm:nodes", std::string("slurm_load_node: ") + slurm_strerror(slurm_get_errno()));
  }
  auto* parts = static_cast<partition_info_msg_t*>(partition_msg_);
  partition_info_msg_t* fresh_parts = nullptr;
  ++rpcs_;
  if (slurm_load_partitions(parts ? parts->last_update : 0, &fresh_parts, SHOW_ALL) == SLURM_SUCCESS) {
    slurm_free_partition_info_msg(parts);
    partition_msg_ = parts = fresh_parts;
    changed = true;
  } else if (slurm_get_errno() != SLURM_NO_CHANGE_IN_DATA) {
    log_.once("slurm:partitions", std::string("slurm_load_partitions: ") + slurm_strerror(slurm_get_errno()));
  }
  auto* jobs = static_cast<job_info_msg_t*>(job_msg_);
  job_info_msg_t* fresh_jobs = nullptr;
  ++rpcs_;
  if (slurm_load_jobs(jobs ? jobs->last_update : 0, &fresh_jobs, SHOW_ALL) == SLURM_SUCCESS) {
    slurm_free_job_info_msg(jobs);
    job_msg_ = jobs = fresh_jobs;
    changed = true;
  } else if (slurm_get_errno() != SLURM_NO_CHANGE_IN_DATA) {
    log_.once("slurm:jobs", std::string("slurm_load_jobs: ") + slurm_strerror(slurm_get_errno()));
  }
  if (!changed) return;

  auto node_list = std::make_shared<json>(json::array());
  for (std::uint32_t i = 0; nodes && i < nodes->record_count; ++i) {
    const node_info_t& n = nodes->node_array[i];
    if (!n.name) continue;
    node_list->push_back({{"name", text(n.name)},
                          {"state", node_state_text(n.node_state)},
                          {"cpus", n.cpus},
                          {"real_memory_mb", n.real_memory},
                          {"partitions", text(n.partitions)},
                          {"reason", text(n.reason)},
                          {"hostname", text(n.node_hostname)},
                          {"address", text(n.node_addr)}});
  }
  auto partition_list = std::make_shared<json>(json::array());
  for (std::uint32_t i = 0; parts && i < parts->record_count; ++i) {
    const partition_info_t& p = parts->partition_array[i];
    partition_list->push_back({{"name", text(p.name)},
                               {"nodes", text(p.nodes)},
                               {"total_nodes", p.total_nodes},
                               {"total_cpus", p.total_cpus},
                               {"state_up", (p.state_up & PARTITION_UP) != 0}});
  }
  auto job_list = std::make_shared<json>(json::array());
  for (std::uint32_t i = 0; jobs && i < jobs->record_count; ++i) {
    const slurm_job_info_t& j = jobs->job_array[i];
    const std::uint32_t base = j.job_state & JOB_STATE_BASE;
    const bool active = base == JOB_PENDING || base == JOB_RUNNING || base == JOB_SUSPENDED ||
                        (j.job_state & JOB_COMPLETING);
    if (!active) continue;
    std::string state = job_state_text(j.job_state);
    for (auto& c : state) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    job_list->push_back({{"cluster", cluster_},
                         {"job", job_key(j)},
                         {"job_id", j.job_id},
                         {"user", user_name(j.user_id)},
                         {"name", text(j.name)},
                         {"account", text(j.account)},
                         {"partition", text(j.partition)},
                         {"state", state},
                         {"node_list", text(j.nodes)},
                         {"node_count", j.num_nodes},
                         {"cpus", j.num_cpus},
                         {"restart_count", j.restart_cnt},
                         {"mem_per_node_bytes", mem_per_node_bytes(j)},
                         {"submit", iso(j.submit_time)},
                         {"start", base == JOB_PENDING ? json(nullptr) : json(iso(j.start_time))}});
  }
  std::lock_guard lock(mutex_);
  nodes_ = node_list;
  partitions_ = partition_list;
  jobs_ = job_list;
  last_update_ns_ = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
}

json SlurmCollector::nodes() const {
  std::lock_guard lock(mutex_);
  return *nodes_;
}
json SlurmCollector::partitions() const {
  std::lock_guard lock(mutex_);
  return *partitions_;
}
json SlurmCollector::active_jobs() const {
  std::lock_guard lock(mutex_);
  return *jobs_;
}
std::int64_t SlurmCollector::last_update_ns() const {
  std::lock_guard lock(mutex_);
  return last_update_ns_;
}

}  // namespace hpcmon::head
