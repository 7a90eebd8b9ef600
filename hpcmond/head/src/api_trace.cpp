// GET /api/v1/jobs/{id}/trace/summary (api_trace.hpp).
#include "hpcmon/head/api_trace.hpp"

#include <sys/stat.h>

#include <optional>
#include <vector>

#include "hpcmon/head/api_record.hpp"
#include "hpcmon/head/record_index.hpp"
#include "hpcmon/trace.hpp"
#include "hpcmon/trace_analysis.hpp"

namespace hpcmon::head {
namespace {

using nlohmann::json;

constexpr const char* kSuffix = "/trace/summary";

// The summary of the first of `paths` that is a regular file (not a symlink) with /trace.
std::optional<json> trace_of(const std::vector<std::string>& paths) {
  for (const auto& path : paths) {
    struct stat st {};
    if (path.empty() || ::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    try {
      const store::TraceReader reader(path);
      if (reader.info().present) return store::trace_summary_json(store::summarize_trace(reader));
    } catch (const std::exception&) {
      // unreadable or damaged: try the next file of the step
    }
  }
  return std::nullopt;
}

}  // namespace

bool step_has_trace(const StepSummary& step) {
  for (const auto& path : {step.path, step.rank0_path}) {
    struct stat st {};
    if (path.empty() || ::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) continue;
    try {
      if (store::TraceReader(path).info().present) return true;
    } catch (const std::exception&) {
      // unreadable or damaged: try the next file of the step
    }
  }
  return false;
}

bool is_trace_summary_request(const std::string& path_tail) { return names_job_subresource(path_tail, kSuffix); }

Outcome job_trace_summary(const Services& services, const Request& request, JobLookup lookup) {
  Outcome found = job_of_subresource(services, request, lookup, kSuffix);
  auto* job = std::get_if<json>(&found);
  if (!job) return found;
  const auto jobs = services.records.jobs();
  json steps = json::array();
  if (job->contains("steps") && (*job)["steps"].is_array()) {
    for (const auto& step : (*job)["steps"]) {
      const StepSummary* summary = find_step(*jobs, *job, step);
      if (!summary) continue;
      // The canonical record carries rank 0's /trace; rank 0's own file until the step is merged.
      if (auto trace = trace_of({summary->path, summary->rank0_path}))
        steps.push_back({{"step", step.value("step", "")}, {"restart_count", step.value("restart_count", 0u)},
                         {"run", step.value("run", 0u)}, {"summary", *trace}});
    }
  }
  const std::string id = job->value("job", "");
  if (steps.empty())
    return ApiError{ErrorType::not_found,
                    "job " + id + " has no MPI trace (run with hpc.trace: true or HPCMON_MPI_TRACE=1)", ""};
  return json{{"cluster", job->value("cluster", "")}, {"job", id}, {"steps", steps}};
}

}  // namespace hpcmon::head
