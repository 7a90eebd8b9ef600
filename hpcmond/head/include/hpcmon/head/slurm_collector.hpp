// Slurm state for the head daemon through libslurm: nodes, partitions, running and pending
// jobs with their allocations. Loads are incremental (the last update time is passed, and an
// unchanged answer keeps the previous data), never more often than the poll interval, and
// every RPC this daemon sends is counted (exposed as hpcmon_slurm_rpcs_total).
#pragma once

#include <atomic>
#include <cstdint>
#include <ctime>
#include <memory>
#include <mutex>
#include <string>

#include <nlohmann/json.hpp>

#include "hpcmon/head/api.hpp"
#include "hpcmon/head/log.hpp"

namespace hpcmon::head {

class SlurmCollector final : public ClusterView {
 public:
  // Null when slurmctld cannot be reached (logged once); the daemon then runs without Slurm.
  static std::unique_ptr<SlurmCollector> connect(double min_interval_s, Log& log);
  ~SlurmCollector() override;
  // One incremental poll of nodes, partitions and jobs; skipped when the last poll is more
  // recent than the minimum interval.
  void poll();

  std::string cluster() const override { return cluster_; }
  nlohmann::json nodes() const override;
  nlohmann::json partitions() const override;
  nlohmann::json active_jobs() const override;
  std::uint64_t rpc_count() const override { return rpcs_.load(); }
  std::int64_t last_update_ns() const override;

 private:
  SlurmCollector(double min_interval_s, Log& log, std::string cluster);
  double min_interval_s_;
  Log& log_;
  std::string cluster_;
  std::atomic<std::uint64_t> rpcs_{0};
  std::int64_t last_poll_mono_ns_ = 0;
  void* node_msg_ = nullptr;       // node_info_msg_t*
  void* partition_msg_ = nullptr;  // partition_info_msg_t*
  void* job_msg_ = nullptr;        // job_info_msg_t*
  mutable std::mutex mutex_;
  std::shared_ptr<const nlohmann::json> nodes_, partitions_, jobs_;
  std::int64_t last_update_ns_ = 0;
};

// "IDLE", "IDLE+DRAIN", "ALLOCATED+COMPLETING": as `scontrol show node` prints State=.
std::string node_state_text(std::uint32_t state);
// "RUNNING", "PENDING", "COMPLETING" (flag wins, as squeue shows it), ...
std::string job_state_text(std::uint32_t state);

}  // namespace hpcmon::head
