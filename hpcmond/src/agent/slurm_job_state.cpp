// libslurm on its own thread (slurm_job_state.hpp).
#include "hpcmon/agent/slurm_job_state.hpp"

#include <unistd.h>

#include <algorithm>

#ifdef HPCMON_AGENT_WITH_SLURM
#include <slurm/slurm.h>
#include <slurm/slurm_errno.h>
static_assert(MEM_PER_CPU == 0x8000000000000000ull && NO_VAL64 == 0xfffffffffffffffeull &&
                  INFINITE64 == 0xffffffffffffffffull,
              "set_memory_request follows Slurm's pn_min_memory encoding");
static_assert(JOB_CANCELLED == 4 && JOB_TIMEOUT == 6 && JOB_NODE_FAIL == 7 && JOB_PREEMPTED == 8 && JOB_OOM == 11,
              "job_state_name's table follows Slurm's enum job_states");
#endif

namespace hpcmon::agent {

std::string job_state_name(std::uint32_t base) {
  static const char* const names[] = {"PENDING",   "RUNNING", "SUSPENDED", "COMPLETED",
                                      "CANCELLED", "FAILED",  "TIMEOUT",   "NODE_FAIL",
                                      "PREEMPTED", "BOOT_FAIL", "DEADLINE", "OUT_OF_MEMORY"};
  return base < std::size(names) ? names[base] : "";
}

std::uint64_t SlurmJobState::memory_on_node(std::uint32_t cpus_on_node) const {
  if (memory_per_node_bytes) return memory_per_node_bytes;
  return memory_per_cpu_bytes * (cpus_on_node ? cpus_on_node : cpus_per_node);
}

void set_memory_request(SlurmJobState& out, std::uint64_t pn_min_memory_mb, std::uint32_t num_cpus,
                        std::uint32_t num_nodes) {
  constexpr std::uint64_t kMemPerCpu = 0x8000000000000000ull;  // Slurm's MEM_PER_CPU
  constexpr std::uint64_t kNoVal64 = 0xfffffffffffffffeull, kInfinite64 = 0xffffffffffffffffull;
  out.memory_per_node_bytes = out.memory_per_cpu_bytes = 0;
  out.cpus_per_node = num_nodes ? num_cpus / num_nodes : 0;
  if (pn_min_memory_mb == kNoVal64 || pn_min_memory_mb == kInfinite64) return;
  const std::uint64_t mb = pn_min_memory_mb & ~kMemPerCpu;
  (pn_min_memory_mb & kMemPerCpu ? out.memory_per_cpu_bytes : out.memory_per_node_bytes) = mb * 1024 * 1024;
}

bool job_state_is_final(const std::string& s) {
  return !s.empty() && s != "PENDING" && s != "RUNNING" && s != "SUSPENDED";
}

SlurmJobStates::SlurmJobStates(Log& log) : log_(log) {}

SlurmJobStates::~SlurmJobStates() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

std::unique_ptr<SlurmJobStates> SlurmJobStates::connect(const std::filesystem::path& slurm_conf, Log& log) {
#ifdef HPCMON_AGENT_WITH_SLURM
  if (slurm_conf.empty()) return nullptr;
  if (::access(slurm_conf.c_str(), R_OK) != 0) {
    log.once(Level::warning, "slurm-conf",
             "no readable Slurm configuration (" + slurm_conf.string() +
                 "): kill reasons come from signals only (no time limit, preemption or OOM from Slurm)");
    return nullptr;
  }
  slurm_init(slurm_conf.c_str());
  std::unique_ptr<SlurmJobStates> states(new SlurmJobStates(log));
  states->thread_ = std::thread([s = states.get()] { s->serve(); });
  return states;
#else
  log.once(Level::warning, "slurm-conf", "built without libslurm: kill reasons come from signals only");
  (void)slurm_conf;
  return nullptr;
#endif
}

void SlurmJobStates::ask(std::uint32_t job_id) {
  {
    std::lock_guard lock(mutex_);
    answers_.erase(job_id);
    if (std::find(asked_.begin(), asked_.end(), job_id) == asked_.end()) asked_.push_back(job_id);
  }
  wake_.notify_one();
}

std::optional<SlurmJobState> SlurmJobStates::take(std::uint32_t job_id) {
  std::lock_guard lock(mutex_);
  auto it = answers_.find(job_id);
  if (it == answers_.end()) return std::nullopt;
  SlurmJobState out = std::move(it->second);
  answers_.erase(it);
  return out;
}

std::uint64_t SlurmJobStates::queries() const {
  std::lock_guard lock(mutex_);
  return queries_;
}

void SlurmJobStates::serve() {
  std::unique_lock lock(mutex_);
  while (true) {
    wake_.wait(lock, [this] { return stop_ || !asked_.empty(); });
    if (stop_) return;
    const std::uint32_t job_id = asked_.front();
    asked_.pop_front();
    lock.unlock();
    SlurmJobState answer;
#ifdef HPCMON_AGENT_WITH_SLURM
    job_info_msg_t* msg = nullptr;
    if (slurm_load_job(&msg, job_id, SHOW_ALL) == SLURM_SUCCESS && msg && msg->record_count > 0) {
      const slurm_job_info_t& job = msg->job_array[0];
      answer.found = true;
      answer.state = job_state_name(job.job_state & JOB_STATE_BASE);
      if (job.time_limit != NO_VAL && job.time_limit != INFINITE)
        answer.time_limit_s = static_cast<std::uint64_t>(job.time_limit) * 60;
      set_memory_request(answer, job.pn_min_memory, job.num_cpus, job.num_nodes);
    } else {
      log_.once(Level::warning, "slurm-load-job",
                std::string("slurm_load_job: ") + slurm_strerror(slurm_get_errno()) +
                    " (logged once; kill reasons then come from signals only, and allocation memory and time "
                    "limit stay 0 unless step_start gave them)");
    }
    slurm_free_job_info_msg(msg);
#endif
    lock.lock();
    ++queries_;
    answers_[job_id] = std::move(answer);
  }
}

}  // namespace hpcmon::agent
