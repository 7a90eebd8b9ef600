// Step diagnosis in API form (api_diagnosis.hpp).
#include "hpcmon/head/api_diagnosis.hpp"

#include "hpcmon/diagnosis.hpp"

namespace hpcmon::head {

nlohmann::json step_diagnosis(const record::JobRecord& rec, const config::Diagnosis& thresholds) {
  try {
    return diagnosis::to_json(diagnosis::analyze(rec, thresholds));
  } catch (const std::exception& error) {
    return {{"error", std::string("diagnosis failed: ") + error.what()}};
  }
}

}  // namespace hpcmon::head
