// `hpcmon validate FILE`: reads the whole record and checks its consistency.
#include <iostream>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "text_escape.hpp"

namespace hpcmon::cli {

void add_validate(CLI::App& app, Action& run) {
  auto* cmd = app.add_subcommand("validate", "Check that FILE is a readable, consistent hpcmon record");
  auto file = std::make_shared<std::string>();
  cmd->add_option("FILE", *file, "job record (.h5)")->required();
  cmd->callback([&run, file] {
    run = [file] {
      const auto version = store::read_format_version(*file);
      const auto rec = store::read_record(*file);
      const auto problems = store::check_consistency(rec);
      if (!problems.empty()) {
        std::cerr << "hpcmon: " << escape_terminal(*file) << ": inconsistent record: " << escape_terminal(problems.front())
                  << (problems.size() > 1 ? " (and " + std::to_string(problems.size() - 1) + " more)" : "") << "\n";
        return kExitDamaged;
      }
      std::cout << escape_terminal(*file) << ": valid hpcmon record, format " << version.major << "." << version.minor
                << ", " << rec.ranks.size() << " ranks, " << rec.nodes.size() << " nodes, " << rec.mpi.size()
                << " MPI rows, " << rec.series.size() << " series" << (rec.job.partial ? ", partial" : "") << "\n";
      return kExitOk;
    };
  });
}

}  // namespace hpcmon::cli
