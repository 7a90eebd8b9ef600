// hpcmon: reads, checks, exports and merges job records. Subcommands live in cmd_*.cpp.
#include <iostream>

#include "commands.hpp"
#include "exit_codes.hpp"
#include "text_escape.hpp"

int main(int argc, char** argv) {
  using namespace hpcmon::cli;
  CLI::App app{"hpcmon: read, check, export and merge hpcmon job records; ask the head daemon for your jobs"};
  app.require_subcommand(1);
  app.footer(
      "Exit codes: 0 ok, 1 usage, 2 missing/unreadable/not HDF5, 3 not an hpcmon record,\n"
      "4 unsupported format version, 5 damaged or inconsistent record, 6 output not written,\n"
      "7 the head daemon refused or could not be reached (hpcmon jobs).\n"
      "Format and fields: docs/job-record.md");
  Action run;
  add_report(app, run);
  add_export(app, run);
  add_merge(app, run);
  add_validate(app, run);
  add_jobs(app, run);
  add_db(app, run);
  add_memprof(app, run);
  add_trace(app, run);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? kExitOk : kExitUsage;
  }
  try {
    return run ? run() : kExitUsage;
  } catch (const hpcmon::store::RecordError& e) {
    std::cerr << "hpcmon: " << escape_terminal(e.what()) << "\n";
    return exit_code_for(e.kind());
  } catch (const std::exception& e) {
    std::cerr << "hpcmon: " << escape_terminal(e.what()) << "\n";
    return kExitDamaged;
  }
}
