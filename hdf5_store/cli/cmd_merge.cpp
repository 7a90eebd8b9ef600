// `hpcmon merge OUT IN...`: the merge the head daemon does, by hand.
#include <iostream>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "text_escape.hpp"

namespace hpcmon::cli {

void add_merge(CLI::App& app, Action& run) {
  auto* cmd = app.add_subcommand("merge", "Merge partial records of one step into OUT");
  auto out = std::make_shared<std::string>();
  auto inputs = std::make_shared<std::vector<std::string>>();
  cmd->add_option("OUT", *out, "merged record to write")->required();
  cmd->add_option("IN", *inputs, "partial records")->required()->expected(1, -1);
  cmd->callback([&run, out, inputs] {
    run = [out, inputs] {
      std::vector<record::JobRecord> parts;
      for (const auto& in : *inputs) parts.push_back(store::read_record(in));
      const auto merged = store::merge(parts);
      store::write_record(*out, merged);
      std::cout << escape_terminal(*out) << ": merged " << parts.size() << " parts, " << merged.ranks.size()
                << " ranks, " << merged.nodes.size() << " nodes"
                << (merged.job.partial ? ", partial: " + escape_terminal(merged.job.partial_reason) : "") << "\n";
      return kExitOk;
    };
  });
}

}  // namespace hpcmon::cli
