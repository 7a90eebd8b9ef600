// What slurmctld says about a job whose tasks died on this node: its state (TIMEOUT,
// CANCELLED, NODE_FAIL, PREEMPTED, OUT_OF_MEMORY...) and its time limit. SPANK gives the
// plugin no time limit and no reason for a kill, so the agent asks libslurm (slurm_load_job,
// as root on the node) before it flags a killed step's partial record.
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
};

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
