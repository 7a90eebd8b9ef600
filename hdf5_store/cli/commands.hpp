// The `hpcmon` command: one small file per subcommand. Each add_* function registers its
// subcommand on the app and, when that subcommand is chosen, sets `run` to its action.
// Other components add their subcommands the same way (a file here, a line in main.cpp).
#pragma once

#include <CLI/CLI.hpp>
#include <functional>

namespace hpcmon::cli {

using Action = std::function<int()>;

void add_report(CLI::App& app, Action& run);
void add_export(CLI::App& app, Action& run);
void add_merge(CLI::App& app, Action& run);
void add_validate(CLI::App& app, Action& run);
void add_jobs(CLI::App& app, Action& run);  // asks the head daemon, as the calling user
void add_db(CLI::App& app, Action& run);    // accounting-database tools: try-index (dbhealth/mariadb)
void add_memprof(CLI::App& app, Action& run);  // memory profiles of libhpcmon_mem.so (memprof/)
void add_trace(CLI::App& app, Action& run);    // MPI traces: export to Chrome / OTLP JSON (docs/tracing.md)

}  // namespace hpcmon::cli
