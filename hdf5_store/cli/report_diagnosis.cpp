// Thresholds for the report's diagnosis, then the analysis.
#include "report_diagnosis.hpp"

#include <filesystem>
#include <iostream>
#include <system_error>

namespace hpcmon::cli {

diagnosis::Analysis diagnose_for_report(const record::JobRecord& rec) {
  config::Diagnosis thresholds;
  const std::filesystem::path path = config::default_path();
  std::error_code missing;
  if (std::filesystem::exists(path, missing)) {
    try {
      thresholds = config::load_file(path).diagnosis;
    } catch (const std::exception& error) {
      std::cerr << "hpcmon: diagnosis with default thresholds: " << error.what() << "\n";
    }
  }
  return diagnosis::analyze(rec, thresholds);
}

diagnosis::Analysis analysis_for_report(const record::JobRecord& rec, bool reanalyse, std::string& origin) {
  if (rec.diagnosis.present && !reanalyse) {
    const auto stored = nlohmann::json::parse(rec.diagnosis.analysis_json, nullptr, false);
    if (stored.is_object()) {
      origin = "stored in the record";
      return diagnosis::from_json(stored);
    }
  }
  origin = rec.diagnosis.present ? "re-analysed with the current thresholds" : "computed now";
  return diagnose_for_report(rec);
}

}  // namespace hpcmon::cli
