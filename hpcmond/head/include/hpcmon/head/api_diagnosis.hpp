// The diagnosis of a step (diagnosis/, docs/diagnosis.md) as the API serves it: computed once
// when the record index reads or merges a step's record, answered under "diagnosis" in each
// step of GET /api/v1/jobs/{id} (and so of /api/v1/jobs/{id}/record).
// Never: throws (a record the analysis cannot handle gives {"error": "..."}) or reads a file.
#pragma once

#include <nlohmann/json.hpp>

#include "hpcmon/config.hpp"
#include "hpcmon/record.hpp"

namespace hpcmon::head {

nlohmann::json step_diagnosis(const record::JobRecord& rec, const config::Diagnosis& thresholds);

}  // namespace hpcmon::head
