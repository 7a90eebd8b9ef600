// JSON views of a record: the report (`hpcmon report --json`) and the full record
// (`hpcmon export --format json`). Field names are documented in docs/job-record.md.
#pragma once

#include <nlohmann/json.hpp>

#include "hpcmon/store.hpp"

namespace hpcmon::cli {

// How many MPI functions the report lists.
inline constexpr std::size_t kTopFunctions = 10;

nlohmann::json report_json(const record::JobRecord& rec, const store::Summary& summary);
nlohmann::json record_json(const record::JobRecord& rec);

// "2023-11-14T22:13:20.000000000Z"; empty for 0.
std::string rfc3339(std::int64_t ns);

}  // namespace hpcmon::cli
