#include "record_key.hpp"

#include <cstdlib>

namespace hpcmon::mpi {
namespace {

std::string process_env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// Slurm's special step ids as numbers: SLURM_BATCH_SCRIPT 0xfffffffb, SLURM_EXTERN_CONT
// 0xfffffffc, SLURM_INTERACTIVE_STEP 0xfffffffa (slurm.h of 20.11 and later). A batch
// script's environment has no SLURM_STEP_ID at all.
std::string step_name(const std::string& id) {
  if (id.empty() || id == "4294967291" || id == "batch") return "batch";
  if (id == "4294967292" || id == "extern") return "extern";
  if (id == "4294967290" || id == "interactive") return "interactive";
  return id;
}

std::uint32_t number(const std::string& s) {
  char* end = nullptr;
  unsigned long v = std::strtoul(s.c_str(), &end, 10);
  return end && *end == '\0' && !s.empty() ? static_cast<std::uint32_t>(v) : 0;
}

}  // namespace

bool under_slurm() { return !process_env("SLURM_JOB_ID").empty(); }

record::RecordKey record_key(const std::string& host, std::int64_t start_ns, std::int64_t pid) {
  return record_key(process_env, host, start_ns, pid);
}

record::RecordKey record_key(const EnvLookup& env, const std::string& host, std::int64_t start_ns,
                             std::int64_t pid) {
  record::RecordKey key;
  const std::string job_id = env("SLURM_JOB_ID");
  if (job_id.empty()) {
    key.cluster = "local";
    key.job = "local-" + host + "-" + std::to_string(start_ns / 1000000000) + "-" + std::to_string(pid);
    key.step = "0";
    return key;
  }
  key.cluster = env("SLURM_CLUSTER_NAME").empty() ? "slurm" : env("SLURM_CLUSTER_NAME");
  const std::string array_job = env("SLURM_ARRAY_JOB_ID"), array_task = env("SLURM_ARRAY_TASK_ID");
  const std::string het_job = env("SLURM_HET_JOB_ID"), het_offset = env("SLURM_HET_JOB_OFFSET");
  if (!array_job.empty() && !array_task.empty()) key.job = array_job + "_" + array_task;
  else if (!het_job.empty() && !het_offset.empty()) key.job = het_job + "+" + het_offset;
  else key.job = job_id;
  key.step = step_name(env("SLURM_STEP_ID"));
  key.restart_count = number(env("SLURM_RESTART_COUNT"));
  return key;
}

}  // namespace hpcmon::mpi
