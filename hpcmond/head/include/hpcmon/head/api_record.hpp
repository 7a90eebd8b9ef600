// GET /api/v1/jobs/{id}/record: the content of a job's records for the dashboard's job page
// (docs/api.md). Per step: job attributes, the summary, per-rank rows, MPI functions per rank,
// message-size histograms, the rank-to-rank traffic, counters and series, warnings.
// Owns: the bounds of that answer (ranks, rows, series points), so one request stays small.
// Never: decides access itself (the job lookup of /api/v1/jobs/{id} does, and this answer
// only follows it), opens a record path through a symlink, or names the record's file path.
#pragma once

#include <string>
#include <string_view>

#include "hpcmon/head/api.hpp"
#include "hpcmon/head/record_index.hpp"

namespace hpcmon::head {

// True when a /api/v1/jobs/ prefix route's tail asks for the record ("12/record", "12.0/record").
bool is_record_request(const std::string& path_tail);

// `lookup` is the /api/v1/jobs/{id} handler (access, wrapped ids, step selection); the answer
// is its job with each step's record content added under "record".
using JobLookup = Outcome (*)(const Services&, const Request&);
Outcome job_record(const Services& services, const Request& request, JobLookup lookup);

// A sub-resource of one job ("12/record", "12.0/trace/summary"): whether the tail asks for it,
// and the job it belongs to, looked up by `lookup` without the suffix (access and errors are its).
bool names_job_subresource(const std::string& path_tail, std::string_view suffix);
Outcome job_of_subresource(const Services& services, const Request& request, JobLookup lookup, std::string_view suffix);

// The index's step behind a step of the /api/v1/jobs/{id} answer (cluster, job, submit time,
// step, restart count, run), or null.
const StepSummary* find_step(const std::vector<JobSummary>& jobs, const nlohmann::json& job, const nlohmann::json& step);

}  // namespace hpcmon::head
