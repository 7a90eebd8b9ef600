// What slurmctld says about a job with a step on this node: its state (TIMEOUT, CANCELLED,
// NODE_FAIL, PREEMPTED, OUT_OF_MEMORY...), its time limit and its memory request. SPANK gives
// the plugin no time limit, no reason for a kill and memory only under CR_*_Memory, so the
// agent asks libslurm (slurm_load_job, as root on the node) once at each step's start for the
// allocation, and again before it flags a killed step's partial record.
// The RPC runs on a thread of its own: a slow or absent slurmctld never stalls the event loop;
// the agent waits for an answer at most a few seconds and then writes what it knows.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "hpcmon/agent/log.hpp"

namespace hpcmon::agent {

struct SlurmJobState {
  bool found = false;         // slurmctld knows the job
  std::string state;          // base state name: "RUNNING", "TIMEOUT", "CANCELLED", ... ("" unknown)
  std::uint64_t time_limit_s = 0;  // 0: none or unknown
  // The memory request: per node (--mem), or per CPU (--mem-per-cpu, Slurm's MEM_PER_CPU
  // flag); 0 when none was asked or unknown.
  std::uint64_t memory_per_node_bytes = 0, memory_per_cpu_bytes = 0;
  std::uint32_t cpus_per_node = 0;  // the job's CPUs / nodes: per-CPU memory when a node's count is unknown

  // The memory of the allocation on a node with `cpus_on_node` of the job's CPUs (0: unknown).
  std::uint64_t memory_on_node(std::uint32_t cpus_on_node) const;
};

// The memory request as slurm_job_info_t holds it (pn_min_memory in MB, MEM_PER_CPU flag)
// into `out`'s memory fields; NO_VAL and INFINITE64 give 0.
void set_memory_request(SlurmJobState& out, std::uint64_t pn_min_memory_mb, std::uint32_t num_cpus,
                        std::uint32_t num_nodes);

// Slurm's base job state code (job_state & JOB_STATE_BASE) as its name; "" when unknown.
std::string job_state_name(std::uint32_t base_state);

// Whether a job in this state will not run on: a kill reason can be read from it.
bool job_state_is_final(const std::string& state);

class SlurmJobStates {
 public:
  // Null when `slurm_conf` is empty or unreadable (libslurm exits the process without a
  // configuration), or when libslurm was not built in. Logs why once.
  static std::unique_ptr<SlurmJobStates> connect(const std::filesystem::path& slurm_conf, Log& log);
  ~SlurmJobStates();
  SlurmJobStates(const SlurmJobStates&) = delete;
  SlurmJobStates& operator=(const SlurmJobStates&) = delete;

  void ask(std::uint32_t job_id);  // never blocks; a newer answer replaces an older one
  // The answer to the last ask() of this job once it came (and forgets it).
  std::optional<SlurmJobState> take(std::uint32_t job_id);
  std::uint64_t queries() const;

 private:
  explicit SlurmJobStates(Log& log);
  void serve();

  Log& log_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::uint32_t> asked_;
  std::map<std::uint32_t, SlurmJobState> answers_;
  std::uint64_t queries_ = 0;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace hpcmon::agent
