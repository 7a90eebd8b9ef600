// Derived figures of a record: statistics across ranks, efficiency, top MPI functions and
// the warnings `hpcmon report` shows (docs/job-record.md, "Summary").
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>

#include "hpcmon/store.hpp"

namespace hpcmon::store {
namespace {

using record::JobRecord;
using record::RankRow;

MetricStat stat_over_ranks(const JobRecord& rec, std::string name, std::string unit,
                           const std::function<double(const RankRow&)>& value) {
  MetricStat m;
  m.name = std::move(name);
  m.unit = std::move(unit);
  double sum = 0;
  std::size_t n = 0;
  for (const auto& r : rec.ranks) {
    const double v = value(r);
    if (std::isnan(v)) continue;  // a counter this rank could not read
    if (n == 0 || v < m.min) m.min = v, m.min_rank = r.rank;
    if (n == 0 || v > m.max) m.max = v, m.max_rank = r.rank;
    sum += v;
    ++n;
  }
  m.mean = n ? sum / static_cast<double>(n) : 0;
  m.imbalance = m.mean > 0 ? m.max / m.mean : 1;
  return m;
}

std::string percent(double f) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.0f%%", f * 100);
  return buf;
}

std::string fixed2(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

void add_warnings(const JobRecord& rec, Summary& s) {
  if (rec.job.partial)
    s.warnings.push_back("partial record: " + (rec.job.partial_reason.empty() ? "reason unknown" : rec.job.partial_reason));
  if (rec.mpi_table_overflows > 0)
    s.warnings.push_back(std::to_string(rec.mpi_table_overflows) + " MPI calls did not fit the per-rank tables");
  if (s.ranks > 0 && s.mpi_fraction > kWarnMpiFraction)
    s.warnings.push_back("high MPI fraction: " + percent(s.mpi_fraction) + " of the time is spent in MPI");
  for (const auto& m : s.metrics) {
    if ((m.name == "wall_s" || m.name == "cpu_s" || m.name == "mpi_s") && s.ranks > 1 && m.imbalance > kWarnImbalance)
      s.warnings.push_back("load imbalance: " + m.name + " max/mean = " + fixed2(m.imbalance) + " (rank " +
                           std::to_string(m.max_rank) + ")");
  }
  if (s.cpu_available_s > 0 && s.cpu_efficiency < kWarnCpuEfficiency)
    s.warnings.push_back("low CPU efficiency: " + percent(s.cpu_efficiency) + " of the allocated cores were used");
  if (s.mem_requested_bytes > 0 && s.mem_efficiency > 0.9)
    s.warnings.push_back("memory high-water at " + percent(s.mem_efficiency) + " of the requested memory");
  if (rec.job.exit_status_known && rec.job.exit_status != 0)
    s.warnings.push_back("step exited with status " + std::to_string(rec.job.exit_status));
  if (rec.job.counter_quality == "unavailable")
    s.warnings.push_back("hardware counters were unavailable (source: " + rec.job.counter_source + ")");
}

}  // namespace

Summary summarize(const JobRecord& rec) {
  Summary s;
  s.ranks = static_cast<std::uint32_t>(rec.ranks.size());
  double wall_sum = 0, mpi_sum = 0, longest = 0;
  for (const auto& r : rec.ranks) {
    wall_sum += r.wall_s;
    mpi_sum += r.mpi_s;
    s.cpu_used_s += r.user_cpu_s + r.sys_cpu_s;
    s.mem_hwm_bytes += r.rss_hwm_bytes;
    longest = std::max(longest, r.wall_s);
  }
  s.wall_s = rec.job.end_ns > rec.job.start_ns && rec.job.start_ns > 0
                 ? static_cast<double>(rec.job.end_ns - rec.job.start_ns) * 1e-9
                 : longest;
  s.mpi_fraction = wall_sum > 0 ? mpi_sum / wall_sum : 0;
  s.cpu_available_s = rec.job.allocation.cores * s.wall_s;
  s.cpu_efficiency = s.cpu_available_s > 0 ? s.cpu_used_s / s.cpu_available_s : 0;
  s.mem_requested_bytes = rec.job.allocation.memory_bytes;
  s.mem_efficiency = s.mem_requested_bytes > 0
                         ? static_cast<double>(s.mem_hwm_bytes) / static_cast<double>(s.mem_requested_bytes)
                         : 0;

  s.metrics.push_back(stat_over_ranks(rec, "wall_s", "s", [](const RankRow& r) { return r.wall_s; }));
  s.metrics.push_back(stat_over_ranks(rec, "user_cpu_s", "s", [](const RankRow& r) { return r.user_cpu_s; }));
  s.metrics.push_back(stat_over_ranks(rec, "sys_cpu_s", "s", [](const RankRow& r) { return r.sys_cpu_s; }));
  s.metrics.push_back(stat_over_ranks(rec, "cpu_s", "s", [](const RankRow& r) { return r.user_cpu_s + r.sys_cpu_s; }));
  s.metrics.push_back(stat_over_ranks(rec, "mpi_s", "s", [](const RankRow& r) { return r.mpi_s; }));
  s.metrics.push_back(stat_over_ranks(rec, "mpi_fraction", "1",
                                      [](const RankRow& r) { return r.wall_s > 0 ? r.mpi_s / r.wall_s : 0.0; }));
  s.metrics.push_back(stat_over_ranks(rec, "rss_hwm_bytes", "B",
                                      [](const RankRow& r) { return static_cast<double>(r.rss_hwm_bytes); }));
  for (std::size_t c = 0; c < rec.counter_names.size(); ++c)
    s.metrics.push_back(stat_over_ranks(rec, rec.counter_names[c], "1", [c](const RankRow& r) {
      return c < r.counters.size() ? r.counters[c] : std::nan("");
    }));

  std::map<std::string, FunctionStat> by_name;
  for (const auto& m : rec.mpi) {
    auto& f = by_name[m.function];
    f.function = m.function;
    f.calls += m.calls;
    f.bytes += m.bytes;
    f.errors += m.errors;
    f.total_s += m.total_s;
    f.max_rank_s = std::max(f.max_rank_s, m.total_s);
  }
  double mpi_total = 0;
  for (auto& [name, f] : by_name) mpi_total += f.total_s;
  for (auto& [name, f] : by_name) {
    f.fraction_of_mpi = mpi_total > 0 ? f.total_s / mpi_total : 0;
    s.functions.push_back(f);
  }
  std::stable_sort(s.functions.begin(), s.functions.end(),
                   [](const FunctionStat& a, const FunctionStat& b) { return a.total_s > b.total_s; });
  add_warnings(rec, s);
  return s;
}

}  // namespace hpcmon::store
