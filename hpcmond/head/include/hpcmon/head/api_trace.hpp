// GET /api/v1/jobs/{id}/trace/summary: what the job's MPI trace says about waiting (docs/api.md,
// docs/tracing.md "Analysis"): per step, latency histograms per function, who waits for whom,
// wait per rank — store::summarize_trace, the same figures as `hpcmon trace summary --json`.
// Owns: picking the step's file that carries /trace (the canonical record, which carries rank
// 0's /trace; rank 0's record before the step is merged). Never: decides access itself (the /api/v1/jobs/{id} lookup does), follows
// a symlink, or names the record's file path.
#pragma once

#include <string>

#include "hpcmon/head/api.hpp"
#include "hpcmon/head/api_record.hpp"

namespace hpcmon::head {

// True when a /api/v1/jobs/ prefix route's tail asks for the trace summary ("12/trace/summary").
bool is_trace_summary_request(const std::string& path_tail);

// True when one of the step's files (rank 0's record first) carries /trace: the record endpoint
// says so per step ("traced"), so the dashboard asks for the summary only when there is one.
bool step_has_trace(const StepSummary& step);

// 404 with a message when no step of the job has a trace.
Outcome job_trace_summary(const Services& services, const Request& request, JobLookup lookup);

}  // namespace hpcmon::head
