// The analysis stored in a record's /diagnosis group, and read back (diagnosis.hpp).
#include <cmath>
#include <limits>

#include "hpcmon/diagnosis.hpp"
#include "hpcmon/store.hpp"

namespace hpcmon::diagnosis {
namespace {

using nlohmann::json;

double num(const json& j, const char* key) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return kUnknown;
  return j[key].get<double>();
}

template <class T>
T integer(const json& j, const char* key, T fallback) {
  if (!j.is_object() || !j.contains(key) || !j[key].is_number()) return fallback;
  return j[key].get<T>();
}

std::vector<std::string> strings(const json& j, const char* key) {
  std::vector<std::string> out;
  if (!j.is_object() || !j.contains(key) || !j[key].is_array()) return out;
  for (const auto& item : j[key])
    if (item.is_string()) out.push_back(item.get<std::string>());
  return out;
}

std::vector<std::int32_t> ranks(const json& j, const char* key) {
  std::vector<std::int32_t> out;
  if (!j.is_object() || !j.contains(key) || !j[key].is_array()) return out;
  for (const auto& item : j[key])
    if (item.is_number_integer()) out.push_back(item.get<std::int32_t>());
  return out;
}

std::vector<MpiShare> shares(const json& j, const char* key) {
  std::vector<MpiShare> out;
  if (!j.is_object() || !j.contains(key) || !j[key].is_array()) return out;
  for (const auto& s : j[key]) {
    MpiShare share;
    share.name = s.value("name", "");
    share.calls = integer<std::uint64_t>(s, "calls", 0);
    share.bytes = integer<std::uint64_t>(s, "bytes", 0);
    share.time_s = num(s, "time_s");
    share.wait_s = num(s, "wait_s");
    share.fraction_of_mpi = num(s, "fraction_of_mpi");
    share.fraction_of_wall = num(s, "fraction_of_wall");
    out.push_back(std::move(share));
  }
  return out;
}

std::string joined(const std::vector<std::string>& items, const char* separator) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

}  // namespace

record::StoredDiagnosis to_stored(const Analysis& analysis, std::int64_t analysed_ns) {
  record::StoredDiagnosis out;
  out.present = true;
  out.analysed_ns = analysed_ns;
  out.analysis_json = to_json(analysis).dump();
  for (const auto& f : analysis.findings) {
    record::StoredFinding row;
    row.rule = f.rule;
    row.severity = f.severity;
    row.title = f.title;
    row.ranks = store::format_rank_ranges(f.ranks);
    row.affected_ranks = store::format_rank_ranges(f.affected_ranks);
    row.calls = joined(f.calls, ", ");
    row.quantity = f.quantity;
    row.unit = f.unit;
    row.evidence = joined(f.evidence, "\n");
    row.suggestion = f.suggestion;
    out.findings.push_back(std::move(row));
  }
  return out;
}

Analysis from_json(const nlohmann::json& j) {
  Analysis a;
  if (!j.is_object()) return a;
  const json pop = j.value("pop", json::object());
  a.pop.runtime_s = num(pop, "runtime_s");
  a.pop.useful_mean_s = num(pop, "useful_mean_s");
  a.pop.useful_max_s = num(pop, "useful_max_s");
  a.pop.useful_max_rank = integer<std::int32_t>(pop, "useful_max_rank", -1);
  a.pop.load_balance = num(pop, "load_balance");
  a.pop.communication_efficiency = num(pop, "communication_efficiency");
  a.pop.parallel_efficiency = num(pop, "parallel_efficiency");
  a.pop.serialisation_efficiency = num(pop, "serialisation_efficiency");
  a.pop.transfer_efficiency = num(pop, "transfer_efficiency");
  a.pop.notes = strings(pop, "notes");
  const json mpi = j.value("mpi", json::object());
  a.mpi.mpi_s = num(mpi, "mpi_s");
  a.mpi.wall_s = num(mpi, "wall_s");
  a.mpi.fraction = num(mpi, "fraction");
  a.mpi.transfer_s = num(mpi, "transfer_s");
  a.mpi.wait_s = num(mpi, "wait_s");
  a.mpi.families = shares(mpi, "families");
  a.mpi.functions = shares(mpi, "functions");
  a.mpi.rank_fraction_min = num(mpi, "rank_fraction_min");
  a.mpi.rank_fraction_min_rank = integer<std::int32_t>(mpi, "rank_fraction_min_rank", -1);
  a.mpi.rank_fraction_max = num(mpi, "rank_fraction_max");
  a.mpi.rank_fraction_max_rank = integer<std::int32_t>(mpi, "rank_fraction_max_rank", -1);
  const json r = j.value("resources", json::object());
  a.resources.wall_s = num(r, "wall_s");
  a.resources.cpu_used_s = num(r, "cpu_used_s");
  a.resources.cores_requested = integer<std::uint32_t>(r, "cores_requested", 0);
  a.resources.cores_used = num(r, "cores_used");
  a.resources.cpu_efficiency = num(r, "cpu_efficiency");
  a.resources.memory_hwm_bytes = integer<std::uint64_t>(r, "memory_hwm_bytes", 0);
  a.resources.memory_requested_bytes = integer<std::uint64_t>(r, "memory_requested_bytes", 0);
  a.resources.memory_efficiency = num(r, "memory_efficiency");
  if (j.contains("findings") && j["findings"].is_array())
    for (const auto& f : j["findings"]) {
      if (!f.is_object()) continue;
      Finding finding;
      finding.rule = f.value("rule", "");
      finding.severity = f.value("severity", "");
      finding.title = f.value("title", "");
      finding.ranks = ranks(f, "ranks");
      finding.affected_ranks = ranks(f, "affected_ranks");
      finding.calls = strings(f, "calls");
      finding.quantity = num(f, "quantity");
      finding.unit = f.value("unit", "");
      if (f.contains("figures") && f["figures"].is_object())
        for (const auto& [name, value] : f["figures"].items())
          finding.figures.emplace_back(name, value.is_number() ? value.get<double>() : kUnknown);
      finding.evidence = strings(f, "evidence");
      finding.suggestion = f.value("suggestion", "");
      a.findings.push_back(std::move(finding));
    }
  a.not_evaluated = strings(j, "not_evaluated");
  return a;
}

}  // namespace hpcmon::diagnosis
