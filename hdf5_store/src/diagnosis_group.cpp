// /diagnosis: attribute analysed_ns, table findings, string analysis_json (diagnosis_group.hpp).
#include "diagnosis_group.hpp"

#include "h5_util.hpp"
#include "table.hpp"

namespace hpcmon::store::detail {
namespace {

constexpr const char* kDiagnosis = "diagnosis";
constexpr const char* kFindings = "findings";
constexpr const char* kAnalysisJson = "analysis_json";

namespace finding_col {
enum : std::size_t { rule, severity, title, ranks, affected_ranks, calls, quantity, unit, evidence, suggestion };
}
const table::Schema& finding_schema() {
  using table::Col;
  static const table::Schema s({{"rule", Col::str}, {"severity", Col::str}, {"title", Col::str},
                                {"ranks", Col::str}, {"affected_ranks", Col::str}, {"calls", Col::str},
                                {"quantity", Col::f64}, {"unit", Col::str}, {"evidence", Col::str},
                                {"suggestion", Col::str}});
  return s;
}

}  // namespace

void write_diagnosis(hid_t file, const record::StoredDiagnosis& d) {
  if (!d.present) return;
  h5::Id grp = h5::check(H5Gcreate2(file, kDiagnosis, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), kDiagnosis);
  h5::write_attr_i64(grp, "analysed_ns", d.analysed_ns);
  table::Rows rows(finding_schema(), d.findings.size());
  for (std::size_t i = 0; i < d.findings.size(); ++i) {
    const auto& f = d.findings[i];
    using namespace finding_col;
    rows.set_str(i, rule, f.rule);
    rows.set_str(i, severity, f.severity);
    rows.set_str(i, title, f.title);
    rows.set_str(i, ranks, f.ranks);
    rows.set_str(i, affected_ranks, f.affected_ranks);
    rows.set_str(i, calls, f.calls);
    rows.set<double>(i, quantity, f.quantity);
    rows.set_str(i, unit, f.unit);
    rows.set_str(i, evidence, f.evidence);
    rows.set_str(i, suggestion, f.suggestion);
  }
  rows.write(grp, kFindings);
  table::write_strings(grp, kAnalysisJson, {d.analysis_json});
}

void read_diagnosis(hid_t file, record::StoredDiagnosis& d) {
  d = {};
  if (!h5::link_exists(file, kDiagnosis)) return;
  h5::Id grp = h5::check(H5Gopen2(file, kDiagnosis, H5P_DEFAULT), kDiagnosis);
  d.present = true;
  d.analysed_ns = h5::read_attr_i64(grp, "analysed_ns").value_or(0);
  if (h5::link_exists(grp, kFindings)) {
    const table::Rows rows = table::Rows::read(grp, kFindings, finding_schema());
    for (std::size_t i = 0; i < rows.size(); ++i) {
      using namespace finding_col;
      record::StoredFinding f;
      f.rule = rows.get_str(i, rule);
      f.severity = rows.get_str(i, severity);
      f.title = rows.get_str(i, title);
      f.ranks = rows.get_str(i, ranks);
      f.affected_ranks = rows.get_str(i, affected_ranks);
      f.calls = rows.get_str(i, calls);
      f.quantity = rows.get<double>(i, quantity);
      f.unit = rows.get_str(i, unit);
      f.evidence = rows.get_str(i, evidence);
      f.suggestion = rows.get_str(i, suggestion);
      d.findings.push_back(std::move(f));
    }
  }
  if (h5::link_exists(grp, kAnalysisJson)) {
    const auto text = table::read_strings(grp, kAnalysisJson);
    if (!text.empty()) d.analysis_json = text.front();
  }
}

}  // namespace hpcmon::store::detail
