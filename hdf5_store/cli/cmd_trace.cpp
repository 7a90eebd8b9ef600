// `hpcmon trace export RECORD --format chrome|otlp [-o FILE]`: a record's /trace for Perfetto
// or an OpenTelemetry collector; `hpcmon trace summary RECORD [--json]`: latency histograms,
// wait states and who waits for whom (docs/tracing.md).
#include <fstream>
#include <iostream>
#include <memory>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "hpcmon/trace.hpp"
#include "hpcmon/trace_analysis.hpp"
#include "text_escape.hpp"
#include "trace_export.hpp"

namespace hpcmon::cli {

void add_trace(CLI::App& app, Action& run) {
  auto* trace = app.add_subcommand("trace", "MPI traces of a record (docs/tracing.md)");
  trace->require_subcommand(1);
  auto* cmd = trace->add_subcommand("export", "Write the record's trace as Chrome trace JSON or OTLP JSON");
  auto file = std::make_shared<std::string>();
  auto format = std::make_shared<std::string>();
  auto output = std::make_shared<std::string>();
  cmd->add_option("RECORD", *file, "job record (.h5) of a traced run")->required();
  cmd->add_option("--format", *format, "chrome or otlp")->required()->check(CLI::IsMember({"chrome", "otlp"}));
  cmd->add_option("-o,--output", *output, "output file (default: standard output)");
  cmd->callback([&run, file, format, output] {
    run = [file, format, output] {
      {
        const store::TraceReader reader(*file);
        if (!reader.info().present) {
          std::cerr << "hpcmon: " << escape_terminal(*file) << ": no trace in this record (run with HPCMON_MPI_TRACE=1)\n";
          return kExitUsage;
        }
      }
      std::ofstream to_file;
      if (!output->empty()) {
        to_file.open(*output, std::ios::binary | std::ios::trunc);
        if (!to_file) {
          std::cerr << "hpcmon: " << escape_terminal(*output) << ": cannot write\n";
          return kExitWriteFailed;
        }
      }
      std::ostream& out = output->empty() ? std::cout : to_file;
      if (*format == "chrome") write_chrome_trace(out, *file);
      else write_otlp_trace(out, *file);
      out.flush();
      if (!out) {
        std::cerr << "hpcmon: " << escape_terminal(output->empty() ? "standard output" : *output) << ": write failed\n";
        return kExitWriteFailed;
      }
      return kExitOk;
    };
  });

  auto* summary = trace->add_subcommand("summary", "Latency per function, wait states, who waits for whom");
  auto sfile = std::make_shared<std::string>();
  auto json = std::make_shared<bool>(false);
  summary->add_option("RECORD", *sfile, "job record (.h5) of a traced run")->required();
  summary->add_flag("--json", *json, "JSON instead of text");
  summary->callback([&run, sfile, json] {
    run = [sfile, json] {
      const store::TraceReader reader(*sfile);
      if (!reader.info().present) {
        std::cerr << "hpcmon: " << escape_terminal(*sfile) << ": no trace in this record (run with HPCMON_MPI_TRACE=1)\n";
        return kExitUsage;
      }
      const store::TraceSummary s = store::summarize_trace(reader);
      if (*json) std::cout << store::trace_summary_json(s).dump(2) << "\n";
      else std::cout << store::trace_summary_text(s);
      return kExitOk;
    };
  });
}

}  // namespace hpcmon::cli
