// Step diagnosis in API form (api_diagnosis.hpp).
#include "hpcmon/head/api_diagnosis.hpp"

#include "hpcmon/diagnosis.hpp"

namespace hpcmon::head {

nlohmann::json step_diagnosis(const record::JobRecord& rec, const config::Diagnosis& thresholds) {
  if (rec.diagnosis.present) {
    // What the merge stored in the record: the API and the file say the same.
    nlohmann::json stored = nlohmann::json::parse(rec.diagnosis.analysis_json, nullptr, false);
    if (stored.is_object()) {
      stored["stored"] = true;
      stored["analysed_ns"] = rec.diagnosis.analysed_ns;
      return stored;
    }
  }
  try {
    nlohmann::json computed = diagnosis::to_json(diagnosis::analyze(rec, thresholds));
    computed["stored"] = false;
    return computed;
  } catch (const std::exception& error) {
    return {{"error", std::string("diagnosis failed: ") + error.what()}};
  }
}

record::StoredDiagnosis diagnosis_to_store(const record::JobRecord& rec, const config::Diagnosis& thresholds,
                                           std::int64_t now_ns) {
  try {
    return diagnosis::to_stored(diagnosis::analyze(rec, thresholds), now_ns);
  } catch (const std::exception&) {
    return {};  // the record is written without /diagnosis; the API computes it
  }
}

}  // namespace hpcmon::head
