// Runs one command (mpirun and its ranks) with a chosen environment and captures its output.
// Used by the workload and diagnosis tests only; it never runs a shell, so arguments are passed verbatim.
#pragma once

#include <filesystem>
#include <string>
#include <utility>
#include <vector>

namespace hpcmon::workloads {

struct CommandResult {
  int exit_code = -1;  // 128 + signal number when killed by a signal
  std::string out, err;
};

struct CommandEnv {
  std::vector<std::pair<std::string, std::string>> set;
  std::vector<std::string> unset;
  // A session of its own at the highest priority (autogroup -20, nice -20) when allowed: timing
  // tests on a shared machine, where other sessions' slices would be measured as waits.
  bool own_session_high_priority = false;
};

// Output is captured through files in `scratch` (which must exist).
CommandResult run_command(const std::vector<std::string>& argv, const CommandEnv& env,
                          const std::filesystem::path& scratch);

}  // namespace hpcmon::workloads
