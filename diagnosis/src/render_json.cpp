// The analysis as JSON: `hpcmon report --json` ("diagnosis") and the API's step "diagnosis".
#include <cmath>

#include "hpcmon/diagnosis.hpp"

namespace hpcmon::diagnosis {
namespace {

using nlohmann::json;

json number(double v) { return std::isfinite(v) ? json(v) : json(nullptr); }

json shares(const std::vector<MpiShare>& list) {
  json out = json::array();
  for (const auto& s : list)
    out.push_back({{"name", s.name}, {"calls", s.calls}, {"bytes", s.bytes}, {"time_s", number(s.time_s)},
                   {"wait_s", number(s.wait_s)}, {"fraction_of_mpi", number(s.fraction_of_mpi)},
                   {"fraction_of_wall", number(s.fraction_of_wall)}});
  return out;
}

}  // namespace

json to_json(const Analysis& a) {
  const PopMetrics& p = a.pop;
  json pop = {{"runtime_s", number(p.runtime_s)},
              {"useful_mean_s", number(p.useful_mean_s)},
              {"useful_max_s", number(p.useful_max_s)},
              {"useful_max_rank", p.useful_max_rank},
              {"load_balance", number(p.load_balance)},
              {"communication_efficiency", number(p.communication_efficiency)},
              {"parallel_efficiency", number(p.parallel_efficiency)},
              {"serialisation_efficiency", number(p.serialisation_efficiency)},
              {"transfer_efficiency", number(p.transfer_efficiency)},
              {"notes", p.notes}};
  const MpiBreakdown& m = a.mpi;
  json mpi = {{"mpi_s", number(m.mpi_s)},
              {"wall_s", number(m.wall_s)},
              {"fraction", number(m.fraction)},
              {"transfer_s", number(m.transfer_s)},
              {"wait_s", number(m.wait_s)},
              {"families", shares(m.families)},
              {"functions", shares(m.functions)},
              {"rank_fraction_min", number(m.rank_fraction_min)},
              {"rank_fraction_min_rank", m.rank_fraction_min_rank},
              {"rank_fraction_max", number(m.rank_fraction_max)},
              {"rank_fraction_max_rank", m.rank_fraction_max_rank}};
  const Resources& r = a.resources;
  json resources = {{"wall_s", number(r.wall_s)},
                    {"cpu_used_s", number(r.cpu_used_s)},
                    {"cores_requested", r.cores_requested},
                    {"cores_used", number(r.cores_used)},
                    {"cpu_efficiency", number(r.cpu_efficiency)},
                    {"memory_hwm_bytes", r.memory_hwm_bytes},
                    {"memory_requested_bytes", r.memory_requested_bytes},
                    {"memory_efficiency", number(r.memory_efficiency)}};
  json findings = json::array();
  for (const auto& f : a.findings) {
    json figures = json::object();
    for (const auto& [name, value] : f.figures) figures[name] = number(value);
    findings.push_back({{"rule", f.rule},
                        {"severity", f.severity},
                        {"title", f.title},
                        {"ranks", f.ranks},
                        {"affected_ranks", f.affected_ranks},
                        {"calls", f.calls},
                        {"quantity", number(f.quantity)},
                        {"unit", f.unit},
                        {"figures", figures},
                        {"evidence", f.evidence},
                        {"suggestion", f.suggestion}});
  }
  return {{"pop", pop}, {"mpi", mpi}, {"resources", resources}, {"findings", findings},
          {"not_evaluated", a.not_evaluated}};
}

}  // namespace hpcmon::diagnosis
