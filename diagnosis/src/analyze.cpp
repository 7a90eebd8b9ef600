// analyze(): the POP metrics, the MPI breakdown and resource use, then every rule.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include "hpcmon/diagnosis.hpp"
#include "hpcmon/store.hpp"
#include "profile.hpp"
#include "rules.hpp"

namespace hpcmon::diagnosis {
namespace {

PopMetrics pop_metrics(const JobProfile& profile) {
  PopMetrics pop;
  if (profile.ranks.empty()) {
    pop.notes.push_back("no rank rows (no MPI part in this record): POP metrics need per-rank MPI time");
    return pop;
  }
  double runtime = 0, sum = 0, max = -1, ideal = 0;
  for (const auto& r : profile.ranks) {
    runtime = std::max(runtime, r.wall_s);
    sum += r.useful_s;
    if (r.useful_s > max) max = r.useful_s, pop.useful_max_rank = r.rank;
    ideal = std::max(ideal, r.wall_s - r.transfer_s);
  }
  pop.runtime_s = runtime;
  pop.useful_mean_s = sum / static_cast<double>(profile.ranks.size());
  pop.useful_max_s = max;
  if (runtime <= 0) {
    pop.notes.push_back("ranks report no wall time: efficiencies unknown");
    return pop;
  }
  if (max > 0) pop.load_balance = pop.useful_mean_s / max;
  pop.communication_efficiency = max / runtime;
  pop.parallel_efficiency = pop.useful_mean_s / runtime;
  if (profile.has_mpi_rows && ideal > 0) {
    pop.serialisation_efficiency = std::min(1.0, max / ideal);
    pop.transfer_efficiency = std::min(1.0, ideal / runtime);
    pop.notes.push_back(
        "serialisation and transfer efficiency are estimates without a trace replay: transfer time per "
        "call from its fastest call and a network model (docs/diagnosis.md)");
  } else {
    pop.notes.push_back("no per-function MPI rows: serialisation and transfer efficiency unknown");
  }
  pop.notes.push_back("computation scalability and global efficiency need a run at another scale: not computed");
  return pop;
}

void add_share(std::map<std::string, MpiShare>& shares, const std::string& name, const CallProfile& call) {
  MpiShare& s = shares[name];
  if (s.name.empty()) s.name = name;
  s.calls += call.row->calls;
  s.bytes += call.row->bytes;
  s.time_s += call.row->total_s;
  s.wait_s += call.wait_s;
}

std::vector<MpiShare> sorted_shares(std::map<std::string, MpiShare>& shares, double mpi_s, double wall_s) {
  std::vector<MpiShare> out;
  for (auto& [name, s] : shares) {
    s.fraction_of_mpi = mpi_s > 0 ? s.time_s / mpi_s : 0;
    s.fraction_of_wall = wall_s > 0 ? s.time_s / wall_s : 0;
    out.push_back(s);
  }
  std::stable_sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.time_s > b.time_s; });
  return out;
}

MpiBreakdown mpi_breakdown(const JobProfile& profile) {
  MpiBreakdown b;
  std::map<std::string, MpiShare> families, functions;
  bool first = true;
  for (const auto& r : profile.ranks) {
    b.mpi_s += r.mpi_s;
    b.wall_s += r.wall_s;
    const double f = r.wall_s > 0 ? r.mpi_s / r.wall_s : 0;
    if (first || f < b.rank_fraction_min) b.rank_fraction_min = f, b.rank_fraction_min_rank = r.rank;
    if (first || f > b.rank_fraction_max) b.rank_fraction_max = f, b.rank_fraction_max_rank = r.rank;
    first = false;
    for (const auto& call : r.calls) {
      b.transfer_s += call.transfer_s;
      b.wait_s += call.wait_s;
      add_share(families, std::string(call.family), call);
      add_share(functions, call.row->function, call);
    }
  }
  b.fraction = b.wall_s > 0 ? b.mpi_s / b.wall_s : 0;
  b.families = sorted_shares(families, b.mpi_s, b.wall_s);
  b.functions = sorted_shares(functions, b.mpi_s, b.wall_s);
  return b;
}

Resources resources(const record::JobRecord& rec) {
  const store::Summary s = store::summarize(rec);
  Resources out;
  out.wall_s = s.wall_s;
  out.cpu_used_s = s.cpu_used_s;
  out.cores_requested = rec.job.allocation.cores;
  if (s.wall_s > 0) out.cores_used = s.cpu_used_s / s.wall_s;
  if (out.cores_requested > 0 && s.wall_s > 0) out.cpu_efficiency = s.cpu_used_s / (out.cores_requested * s.wall_s);
  out.memory_hwm_bytes = s.mem_hwm_bytes;
  out.memory_requested_bytes = s.mem_requested_bytes;
  if (s.mem_requested_bytes > 0)
    out.memory_efficiency = static_cast<double>(s.mem_hwm_bytes) / static_cast<double>(s.mem_requested_bytes);
  return out;
}

// Most important first: what costs the most time across ranks, then resources.
int rule_order(const std::string& rule) {
  static const char* order[] = {"serialisation", "late_sender", "load_imbalance", "collective_dominated",
                                "small_message_storm", "barrier_overuse", "io_bound", "low_cpu",
                                "memory_growth", "cores_overrequested", "memory_overrequested"};
  for (int i = 0; i < static_cast<int>(std::size(order)); ++i)
    if (rule == order[i]) return i;
  return 100;
}

std::string format(const char* f, double v) {
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, f, v);
  return buffer;
}

}  // namespace

std::string seconds_text(double s) { return format(s < 10 ? "%.3f s" : "%.1f s", s); }
std::string percent_text(double f) { return format("%.1f %%", f * 100); }
std::string count_text(double n) { return format("%.0f", n); }
std::string decimal_text(double v) { return format("%.2f", v); }

std::string bytes_text(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int u = 0;
  while (b >= 1024 && u < 5) b /= 1024, ++u;
  return format(u == 0 ? "%.0f" : "%.1f", b) + " " + units[u];
}

std::string ranks_text(std::vector<std::int32_t> ranks) {
  std::sort(ranks.begin(), ranks.end());
  ranks.erase(std::unique(ranks.begin(), ranks.end()), ranks.end());
  if (ranks.empty()) return "no rank";
  return (ranks.size() == 1 ? "rank " : "ranks ") + store::format_rank_ranges(ranks);
}

Analysis analyze(const record::JobRecord& rec, const config::Diagnosis& thresholds) {
  Analysis out;
  const JobProfile profile = build_profile(rec, thresholds);
  out.pop = pop_metrics(profile);
  out.mpi = mpi_breakdown(profile);
  out.resources = resources(rec);
  const RuleInput in{rec, profile, thresholds, out.pop, out.resources};
  waiting_rules(in, out);
  communication_rules(in, out);
  resource_rules(in, out);
  std::stable_sort(out.findings.begin(), out.findings.end(),
                   [](const Finding& a, const Finding& b) { return rule_order(a.rule) < rule_order(b.rule); });
  return out;
}

}  // namespace hpcmon::diagnosis
