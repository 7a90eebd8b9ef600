// `hpcmon merge OUT IN...`: the merge the head daemon does, by hand, with the diagnosis stored
// in OUT's /diagnosis group (thresholds of the configuration, as `hpcmon report`).
#include <chrono>
#include <iostream>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "hpcmon/memprof_record.hpp"
#include "hpcmon/trace.hpp"
#include "report_diagnosis.hpp"
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
      auto merged = store::merge(parts);
      const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::system_clock::now().time_since_epoch()).count();
      merged.diagnosis = diagnosis::to_stored(diagnose_for_report(merged), now);
      // Before the rename: rank 0's /trace (the first input with one) and the node partials'
      // /memory (memory profiles), as the head daemon's canonical merge carries them.
      store::write_record(*out, merged, [&](const std::filesystem::path& tmp) {
        for (const auto& in : *inputs)
          if (store::copy_trace(in, tmp)) break;
        mem::carry_memory_groups(tmp.string(), *inputs);
      });
      std::cout << escape_terminal(*out) << ": merged " << parts.size() << " parts, " << merged.ranks.size()
                << " ranks, " << merged.nodes.size() << " nodes"
                << (merged.job.partial ? ", partial: " + escape_terminal(merged.job.partial_reason) : "") << ", "
                << merged.diagnosis.findings.size() << " findings\n";
      return kExitOk;
    };
  });
}

}  // namespace hpcmon::cli
