// The diagnosis of a step (diagnosis/, docs/diagnosis.md) as the API serves it: the one the
// head's merge stored in the canonical record ("stored": true), else computed once when the
// record index reads the step's record ("stored": false); answered under "diagnosis" in each
// step of GET /api/v1/jobs/{id} (and so of /api/v1/jobs/{id}/record).
// Never: throws (a record the analysis cannot handle gives {"error": "..."}) or reads a file.
#pragma once

#include <nlohmann/json.hpp>

#include "hpcmon/config.hpp"
#include "hpcmon/record.hpp"

namespace hpcmon::head {

nlohmann::json step_diagnosis(const record::JobRecord& rec, const config::Diagnosis& thresholds);

// The analysis to write into a canonical record's /diagnosis group (empty when it fails).
record::StoredDiagnosis diagnosis_to_store(const record::JobRecord& rec, const config::Diagnosis& thresholds,
                                           std::int64_t now_ns);

}  // namespace hpcmon::head
