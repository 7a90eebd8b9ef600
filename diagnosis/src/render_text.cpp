// The analysis as text: the "Diagnosis" part of `hpcmon report`.
#include <cmath>
#include <cstdio>
#include <sstream>

#include "hpcmon/diagnosis.hpp"
#include "rules.hpp"

namespace hpcmon::diagnosis {
namespace {

std::string efficiency(double v) { return std::isnan(v) ? "n/a" : percent_text(v); }

}  // namespace

std::string to_text(const Analysis& a) {
  std::ostringstream out;
  const PopMetrics& p = a.pop;
  out << "POP efficiency: parallel " << efficiency(p.parallel_efficiency) << " = load balance "
      << efficiency(p.load_balance) << " x communication " << efficiency(p.communication_efficiency)
      << " (serialisation " << efficiency(p.serialisation_efficiency) << ", transfer "
      << efficiency(p.transfer_efficiency) << ")\n";
  if (!std::isnan(p.runtime_s))
    out << "  runtime " << seconds_text(p.runtime_s) << ", useful time per rank: mean " << seconds_text(p.useful_mean_s)
        << ", max " << seconds_text(p.useful_max_s) << " (rank " << p.useful_max_rank << ")\n";
  for (const auto& note : p.notes) out << "  note: " << note << "\n";
  const MpiBreakdown& m = a.mpi;
  if (!m.families.empty()) {
    out << "MPI time by family (all ranks; waiting estimated):\n";
    for (const auto& s : m.families) {
      char line[200];
      std::snprintf(line, sizeof line, "  %-16s %10.3f s %6.1f%% of MPI, waiting %8.3f s, %llu calls\n",
                    s.name.c_str(), s.time_s, s.fraction_of_mpi * 100, s.wait_s,
                    static_cast<unsigned long long>(s.calls));
      out << line;
    }
    out << "  per rank in MPI: " << percent_text(m.rank_fraction_min) << " (rank " << m.rank_fraction_min_rank
        << ") to " << percent_text(m.rank_fraction_max) << " (rank " << m.rank_fraction_max_rank << ")\n";
  }
  const Resources& r = a.resources;
  out << "Resources: CPU used " << seconds_text(r.cpu_used_s);
  if (!std::isnan(r.cores_used)) out << " (" << decimal_text(r.cores_used) << " cores busy on average)";
  if (r.cores_requested) out << " of " << r.cores_requested << " cores requested: " << efficiency(r.cpu_efficiency);
  out << "; memory high-water " << bytes_text(double(r.memory_hwm_bytes));
  if (r.memory_requested_bytes)
    out << " of " << bytes_text(double(r.memory_requested_bytes)) << ": " << efficiency(r.memory_efficiency);
  out << "\n";
  if (a.findings.empty()) {
    out << "Findings: none\n";
  } else {
    out << "Findings:\n";
    int n = 0;
    for (const auto& f : a.findings) {
      out << "  " << ++n << ". [" << f.rule << "] " << f.title << "\n";
      for (const auto& e : f.evidence) out << "     - " << e << "\n";
      out << "     Suggestion: " << f.suggestion << "\n";
    }
  }
  if (!a.not_evaluated.empty()) {
    out << "Not evaluated:\n";
    for (const auto& n : a.not_evaluated) out << "  - " << n << "\n";
  }
  return out.str();
}

}  // namespace hpcmon::diagnosis
