// hpcmon diagnosis: "why is my job slow?" in plain language.
//
// What it is: a pure function from one job record (hdf5_store's record::JobRecord) and the
// configured thresholds (config::Diagnosis) to an Analysis: the POP efficiency metrics, the
// MPI time breakdown, resource use against the allocation (as `seff`), and rule-based
// findings, each with the ranks and calls it is about, the quantity it measured, evidence and
// a suggestion. docs/diagnosis.md defines every metric and rule.
// What it owns: the metric definitions, the rules, and their text and JSON forms.
// What it must never do: read files, the clock or the environment, keep state between calls,
// or throw on a record that lacks data (a rule that cannot run says why in `not_evaluated`).
// Used by: the `hpcmon report` command and the head daemon's API (step "diagnosis").
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "hpcmon/config.hpp"
#include "hpcmon/record.hpp"

namespace hpcmon::diagnosis {

inline constexpr double kUnknown = std::numeric_limits<double>::quiet_NaN();

// POP efficiencies, 0..1 (NaN when the record does not allow them; `notes` says why).
struct PopMetrics {
  double runtime_s = kUnknown;                  // longest rank's wall time
  double useful_mean_s = kUnknown, useful_max_s = kUnknown;  // wall time outside MPI
  std::int32_t useful_max_rank = -1;
  double load_balance = kUnknown;               // mean useful / max useful
  double communication_efficiency = kUnknown;   // max useful / runtime
  double parallel_efficiency = kUnknown;        // mean useful / runtime = LB x CommE
  double serialisation_efficiency = kUnknown;   // max useful / ideal-network runtime (estimate)
  double transfer_efficiency = kUnknown;        // ideal-network runtime / runtime (estimate)
  std::vector<std::string> notes;
};

// MPI time of one family or one function, summed over ranks.
struct MpiShare {
  std::string name;          // family ("collective") or function ("MPI_Recv")
  std::uint64_t calls = 0, bytes = 0;
  double time_s = 0;         // total time in the calls
  double wait_s = 0;         // of which waiting (beyond the transfer estimate)
  double fraction_of_mpi = 0, fraction_of_wall = 0;
};

struct MpiBreakdown {
  double mpi_s = 0, wall_s = 0;       // summed over ranks (MPI_Init and MPI_Finalize excluded)
  double fraction = 0;                // mpi_s / wall_s
  double transfer_s = 0, wait_s = 0;  // estimated split of mpi_s
  std::vector<MpiShare> families;     // largest time first
  std::vector<MpiShare> functions;    // largest time first
  double rank_fraction_min = 0, rank_fraction_max = 0;
  std::int32_t rank_fraction_min_rank = -1, rank_fraction_max_rank = -1;
};

// Resource use against the allocation, as Slurm's seff reports it.
struct Resources {
  double wall_s = 0;
  double cpu_used_s = 0;
  std::uint32_t cores_requested = 0;   // 0: unknown
  double cores_used = kUnknown;        // cpu_used_s / wall_s
  double cpu_efficiency = kUnknown;    // cpu_used_s / (cores_requested x wall_s)
  std::uint64_t memory_hwm_bytes = 0;  // sum of ranks' high-water (upper bound of the peak)
  std::uint64_t memory_requested_bytes = 0;
  double memory_efficiency = kUnknown;
};

struct Finding {
  std::string rule;                  // "load_imbalance", "late_sender", ... (docs/diagnosis.md)
  std::string severity;              // "warning" (costs time or resources) or "info"
  std::string title;                 // one line in plain language
  std::vector<std::int32_t> ranks;   // the ranks the finding is about (the cause), sorted
  std::vector<std::int32_t> affected_ranks;  // ranks that lost time because of them
  std::vector<std::string> calls;    // MPI functions involved
  double quantity = 0;               // the headline figure
  std::string unit;                  // "s", "B", "messages", "calls", "cores"
  std::vector<std::pair<std::string, double>> figures;  // further measured values, named
  std::vector<std::string> evidence; // lines of evidence
  std::string suggestion;
};

struct Analysis {
  PopMetrics pop;
  MpiBreakdown mpi;
  Resources resources;
  std::vector<Finding> findings;       // largest time cost first
  std::vector<std::string> not_evaluated;  // "rule: why" for rules the record gave no data for
};

// The analysis of one record. Pure: the same record and thresholds give the same analysis.
Analysis analyze(const record::JobRecord& rec, const config::Diagnosis& thresholds = {});

// Text for `hpcmon report` (no escaping needed: the text holds no user-controlled strings).
std::string to_text(const Analysis& analysis);

// JSON for `hpcmon report --json` and the API (docs/diagnosis.md, "JSON"); NaN becomes null.
nlohmann::json to_json(const Analysis& analysis);

// The analysis as stored in a record's optional /diagnosis group (docs/job-record.md):
// findings as rows, the whole analysis as to_json text. `analysed_ns`: when it was computed.
record::StoredDiagnosis to_stored(const Analysis& analysis, std::int64_t analysed_ns);

// The analysis back from its JSON form (to_json; a stored analysis_json). Missing or
// malformed members read as unknown or empty, never throw.
Analysis from_json(const nlohmann::json& json);

// MPI function family from its name: "point-to-point", "collective", "wait", "one-sided",
// "file-io", "lifecycle" (MPI_Init, MPI_Finalize...), or "other".
std::string mpi_family(const std::string& function);

}  // namespace hpcmon::diagnosis
