// `hpcmon report FILE [--json]`: what a user needs to see why a job was slow.
#include <cstdio>
#include <iostream>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "hpcmon/trace.hpp"
#include "hpcmon/trace_analysis.hpp"
#include "json_model.hpp"
#include "hpcmon/memprof_record.hpp"
#include "report_diagnosis.hpp"
#include "text_escape.hpp"

namespace hpcmon::cli {
namespace {

std::string fmt(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, format, v);
  return buf;
}

std::string bytes_text(double b) {
  const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  int u = 0;
  while (b >= 1024 && u < 5) b /= 1024, ++u;
  return fmt(u == 0 ? "%.0f" : "%.1f", b) + " " + units[u];
}

std::string percent(double f) { return fmt("%.1f%%", f * 100); }

void print_text(std::ostream& out, const record::JobRecord& rec, const store::Summary& s) {
  const auto& j = rec.job;
  auto e = escape_terminal;
  out << "Job " << e(j.key.job) << " step " << e(j.key.step) << " on " << e(j.key.cluster) << " (restart "
      << j.key.restart_count << ", run " << j.key.run << ")"
      << (j.job_name.empty() ? "" : ": " + e(j.job_name)) << "\n";
  auto or_dash = [&](const std::string& v) { return v.empty() ? std::string("-") : e(v); };
  out << "  user " << or_dash(j.user) << ", account " << or_dash(j.account) << ", partition " << or_dash(j.partition)
      << "\n";
  out << "  nodes " << j.node_count << " (" << e(j.node_list) << "), ranks " << j.rank_count << " ("
      << s.ranks << " recorded)\n";
  out << "  command " << e(j.command_line) << "\n";
  out << "  start " << rfc3339(j.start_ns) << ", end " << rfc3339(j.end_ns) << ", exit status "
      << (j.exit_status_known ? std::to_string(j.exit_status) : std::string("unknown")) << "\n";
  out << "Allocation: " << (j.allocation.cores ? std::to_string(j.allocation.cores) + " cores" : "cores unknown")
      << ", "
      << (j.allocation.memory_bytes ? bytes_text(static_cast<double>(j.allocation.memory_bytes)) : "memory unknown")
      << ", time limit " << (j.allocation.time_limit_s ? std::to_string(j.allocation.time_limit_s) + " s" : "none")
      << "\n";
  out << "Efficiency: wall " << fmt("%.2f", s.wall_s) << " s; CPU " << fmt("%.1f", s.cpu_used_s) << " s";
  if (s.cpu_available_s > 0)
    out << " of " << fmt("%.1f", s.cpu_available_s) << " s (" << percent(s.cpu_efficiency) << ")";
  out << "; memory high-water " << bytes_text(static_cast<double>(s.mem_hwm_bytes));
  if (s.mem_requested_bytes > 0)
    out << " of " << bytes_text(static_cast<double>(s.mem_requested_bytes)) << " (" << percent(s.mem_efficiency) << ")";
  out << "\n";
  out << "MPI: " << percent(s.mpi_fraction) << " of the time in MPI\n";
  if (!s.functions.empty()) {
    out << "  function                     calls           bytes      time_s   %mpi\n";
    for (std::size_t i = 0; i < s.functions.size() && i < kTopFunctions; ++i) {
      const auto& f = s.functions[i];
      char line[256];
      std::snprintf(line, sizeof line, "  %-22s %12llu %15llu %11.3f %6.1f\n", e(f.function).c_str(),
                    static_cast<unsigned long long>(f.calls), static_cast<unsigned long long>(f.bytes), f.total_s,
                    f.fraction_of_mpi * 100);
      out << line;
    }
  }
  if (s.ranks > 0) {
    out << "Imbalance (max/mean over ranks):";
    for (const auto& m : s.metrics)
      if (m.name == "wall_s" || m.name == "cpu_s" || m.name == "mpi_s")
        out << " " << m.name << " " << fmt("%.2f", m.imbalance) << " (rank " << m.max_rank << ")";
    out << "\n";
  }
  out << "Counters (source " << e(j.counter_source) << ", quality " << e(j.counter_quality) << "):";
  if (rec.counter_names.empty()) out << " none";
  out << "\n";
  if (!j.counter_note.empty()) out << "  note: " << e(j.counter_note) << "\n";
  for (const auto& m : s.metrics) {
    bool is_counter = false;
    for (const auto& n : rec.counter_names) is_counter = is_counter || n == m.name;
    if (!is_counter) continue;
    char line[256];
    std::snprintf(line, sizeof line, "  %-22s min %.4g  mean %.4g  max %.4g  imbalance %.2f\n", e(m.name).c_str(),
                  m.min, m.mean, m.max, m.imbalance);
    out << line;
  }
  for (const auto& m : s.metrics)
    if (m.name == "rss_hwm_bytes" && s.ranks > 0)
      out << "Memory high-water: largest rank " << bytes_text(m.max) << " (rank " << m.max_rank << "), all ranks "
          << bytes_text(static_cast<double>(s.mem_hwm_bytes)) << "\n";
  if (s.warnings.empty()) {
    out << "Warnings: none\n";
  } else {
    out << "Warnings:\n";
    for (const auto& w : s.warnings) out << "  - " << e(w) << "\n";
  }
}

}  // namespace

void add_report(CLI::App& app, Action& run) {
  auto* cmd = app.add_subcommand("report", "Summarise a job record: efficiency, MPI, imbalance, warnings, diagnosis and findings");
  auto file = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  auto reanalyse = std::make_shared<bool>(false);
  cmd->add_option("FILE", *file, "job record (.h5)")->required();
  cmd->add_flag("--json", *json, "machine-readable output");
  cmd->add_flag("--reanalyse", *reanalyse,
                "diagnose again with the current thresholds instead of showing the findings stored in the record");
  cmd->callback([&run, file, json, reanalyse] {
    run = [file, json, reanalyse] {
      const auto rec = store::read_record(*file);
      const auto summary = store::summarize(rec);
      std::string origin;
      const auto analysis = analysis_for_report(rec, *reanalyse, origin);
      if (*json) {
        auto out = report_json(rec, summary);
        out["diagnosis"] = diagnosis::to_json(analysis);
        out["diagnosis"]["origin"] = origin;
        if (rec.diagnosis.present) out["diagnosis"]["analysed"] = rfc3339(rec.diagnosis.analysed_ns);
        if (const store::TraceReader trace(*file); trace.info().present)
          out["trace"] = store::trace_summary_json(store::summarize_trace(trace));
        std::cout << out.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
      } else {
        print_text(std::cout, rec, summary);
        std::cout << "Diagnosis (docs/diagnosis.md; " << origin
                  << (rec.diagnosis.present && !*reanalyse ? " at " + rfc3339(rec.diagnosis.analysed_ns) : "")
                  << "):\n" << diagnosis::to_text(analysis);
        if (const store::TraceReader trace(*file); trace.info().present)
          std::cout << "\n" << store::trace_report_section(store::summarize_trace(trace));
        std::cout << mem::render_memory_section(mem::read_memory_group(*file));  // only when profiled
      }
      return kExitOk;
    };
  });
}

}  // namespace hpcmon::cli
