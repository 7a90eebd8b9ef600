// hpcmon memprof FILE...: the report of libhpcmon_mem.so profiles (docs/memory-profiling.md).
// The reader, symboliser and renderer live in memprof/ (hpcmon/memprof_report.hpp).
#include <iostream>
#include <string>
#include <vector>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "hpcmon/memprof_report.hpp"
#include "text_escape.hpp"

namespace hpcmon::cli {

void add_memprof(CLI::App& app, Action& run) {
  auto* cmd = app.add_subcommand("memprof", "Report of memory profiles written by libhpcmon_mem.so (leaks, sizes, peak)");
  struct Options {
    std::vector<std::string> files;
    std::string format = "text";
    int top = 20;
  };
  auto opts = std::make_shared<Options>();
  cmd->add_option("files", opts->files, "*.memprof profiles (one per process)")->required();
  cmd->add_option("--format", opts->format, "text or json")->check(CLI::IsMember({"text", "json"}));
  cmd->add_option("--top", opts->top, "sites shown per profile")->check(CLI::Range(1, 100000));
  cmd->callback([&run, opts] {
    run = [opts] {
      std::vector<mem::Profile> profiles;
      std::vector<mem::Analysis> analyses;
      for (const auto& file : opts->files) {
        try {
          profiles.push_back(mem::read_profile(file));
        } catch (const mem::ProfileError& e) {
          std::cerr << "hpcmon: " << escape_terminal(e.what()) << "\n";
          switch (e.kind()) {
            case mem::ProfileError::Kind::unreadable: return kExitUnreadable;
            case mem::ProfileError::Kind::not_profile: return kExitNotHpcmon;
            case mem::ProfileError::Kind::unsupported_version: return kExitUnsupported;
            case mem::ProfileError::Kind::damaged: return kExitDamaged;
          }
          return kExitDamaged;
        }
        analyses.push_back(mem::analyse(profiles.back()));
      }
      std::cout << mem::render_report(profiles, analyses,
                                      opts->format == "json" ? mem::ReportFormat::json : mem::ReportFormat::text,
                                      opts->top);
      return kExitOk;
    };
  });
}

}  // namespace hpcmon::cli
