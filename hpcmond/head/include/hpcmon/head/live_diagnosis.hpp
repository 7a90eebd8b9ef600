// Findings of running jobs (docs/diagnosis.md, "Live"): from the ranks' live MPI tables that
// node agents push (samples.mpi[].rank_tables), the head builds a partial record per running
// step and evaluates the rules that make sense on partial data, every diagnosis.live_interval_s.
// Served with "live": true in GET /api/v1/jobs/{id} and GET /api/v1/diagnosis/live, and as the
// metric job.finding{rule=...} = 1 for alert rules while a finding holds.
// Owns: the latest live findings per running step. Never: reads a file (pushes only), keeps a
// step the agents stopped reporting, or evaluates rules that need the whole run (requests
// against the allocation, memory growth over the run).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "hpcmon/config.hpp"
#include "hpcmon/record.hpp"

namespace hpcmon::head {

class AgentStore;

// Rules evaluated live: the ones whose evidence is the tables so far.
const std::vector<std::string>& live_rules();

// The partial record of one running step from its pushed rank tables (each an object of
// samples.mpi[].rank_tables, docs/api.md). Pure, for tests and the benchmark.
record::JobRecord live_record(const std::string& cluster, const std::string& job, const std::string& step,
                              const std::vector<nlohmann::json>& rank_tables);

struct LiveFinding {
  std::string cluster, job, step, rule;
};

class LiveDiagnosis {
 public:
  LiveDiagnosis(const AgentStore& agents, config::Diagnosis thresholds)
      : agents_(agents), thresholds_(thresholds) {}
  // One evaluation of every running step the agents report (the head's clock `now_ns`).
  void evaluate(std::int64_t now_ns);
  // {"live": true, "evaluated": ns, "steps": [{"step", "ranks", "findings": [...]}]} for a
  // job id in record-key form ("12", "12_3"); null when no step of it is running.
  nlohmann::json for_job(const std::string& job) const;
  nlohmann::json all() const;  // every running step's, as an array
  std::vector<LiveFinding> findings() const;
  std::uint64_t evaluations() const;

 private:
  struct StepResult {
    std::string cluster, job, step;
    std::size_t ranks = 0;
    std::int64_t evaluated_ns = 0;
    nlohmann::json findings = nlohmann::json::array();
  };
  const AgentStore& agents_;
  config::Diagnosis thresholds_;
  mutable std::mutex mutex_;
  std::map<std::string, StepResult> steps_;  // "cluster/job/step"
  std::uint64_t evaluations_ = 0;
};

}  // namespace hpcmon::head
