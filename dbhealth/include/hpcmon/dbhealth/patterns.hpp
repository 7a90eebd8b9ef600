// Query patterns found in the analysis, each with its evidence and a plain-language
// suggestion: full scans, N+1 bursts, leading-wildcard LIKE, unbounded result sets; and
// CREATE INDEX suggestions for full scans (to be measured with `hpcmon db try-index` on a
// development copy: slurmdbd drops foreign indexes on its own tables at every start).
#pragma once

#include "hpcmon/dbhealth/analyzer.hpp"

#include <nlohmann/json.hpp>

#include <optional>

#include <string>
#include <vector>

namespace hpcmon::dbhealth {

enum class PatternKind { full_scan, n_plus_one, leading_wildcard_like, unbounded_result };
std::string_view pattern_name(PatternKind kind);  // full_scan, n_plus_one, ...

struct IndexSuggestion {
    std::string table;              // e.g. testcluster_job_table
    std::vector<std::string> columns;  // as in the index, TEXT columns with a prefix: job_name(64)
    std::string statement;          // CREATE INDEX hpcmon_... ON `table` (...);
};

struct Finding {
    PatternKind kind;
    std::string fingerprint_id;
    std::string fingerprint;
    std::uint64_t count = 0;        // executions showing the pattern (N+1: the largest burst)
    std::string evidence;           // numbers that show it
    std::string suggestion;         // what to do, in plain language
    std::optional<IndexSuggestion> index;
    nlohmann::json details;         // machine-readable evidence
};

std::vector<Finding> find_patterns(const Analyzer& analyzer);

// The index that would serve the fingerprint's WHERE on its scanned table, if any.
std::optional<IndexSuggestion> suggest_index(const FingerprintStats& stats);

// The analysis for the API: {entries, fingerprints: [top...], findings: [...], suggestions: [...]}.
nlohmann::json report_json(const Analyzer& analyzer, std::size_t top);
nlohmann::json fingerprint_json(const FingerprintStats& stats);
nlohmann::json finding_json(const Finding& finding);

}  // namespace hpcmon::dbhealth
