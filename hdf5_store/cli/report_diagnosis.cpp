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

}  // namespace hpcmon::cli
