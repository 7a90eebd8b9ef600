// plugstack.conf arguments of spank_hpcmon.so, parsed strictly into a struct with defaults.
// Pure code: no Slurm calls, so it is unit-tested directly.
#pragma once

#include <string>
#include <vector>

#ifndef HPCMON_DEFAULT_PRELOAD
#define HPCMON_DEFAULT_PRELOAD "/usr/local/lib/libhpcmon_mpi.so"
#endif

namespace hpcmon::spank {

// The configuration defaults of hpc.events (docs/configuration.md).
inline constexpr const char* kDefaultEvents =
    "PAPI_TOT_CYC,PAPI_TOT_INS,perf::task-clock,perf::context-switches,perf::page-faults";

struct PluginArgs {
  std::string record_dir = "/var/lib/hpcmon/records";  // hpc.record_dir
  std::string agent_socket = "/run/hpcmon/agent.sock";  // the agent's agent.socket
  std::string run_dir = "/run/hpcmon/jobs";             // base of the jobs' run directories
  bool default_on = true;                               // monitor steps without --hpcmon
  std::string interval = "1.0";                         // general.sample_interval_s, as given
  std::string events = kDefaultEvents;                  // hpc.events, comma separated
  std::string preload = HPCMON_DEFAULT_PRELOAD;         // libhpcmon_mpi.so
  // libhpcmon_mem.so, added for steps run with --hpcmon-mem (default: beside `preload`).
  std::string mem_preload;
  // Profile every step's memory without --hpcmon-mem (site-wide switch; default off).
  bool mem_default_on = false;
  // Trace every monitored step's MPI calls without --hpcmon-trace (hpc.trace; default off),
  // and the events kept per rank (hpc.trace_events), as given.
  bool trace_default_on = false;
  std::string trace_events = "262144";
};

// Parses `key=value` words. A bad word keeps its key's default and adds one problem line,
// exactly `hpcmon: <key>: invalid value: <value>` (an unknown key or a word without `=` is
// reported the same way, with the whole word as key when there is no `=`).
PluginArgs parse_args(int ac, const char* const* av, std::vector<std::string>* problems);

// Validity checks shared with the user option.
bool valid_absolute_path(const std::string& path);
bool valid_interval(const std::string& seconds);  // a decimal in [0.01, 3600]
// Events kept per rank when tracing: plain digits, 1 to 2^26 (hpc.trace_events' range).
bool valid_trace_events(const std::string& count);
// A comma list of counter events as hpc.events accepts them (checked by syntax here: the
// ranks check PAPI presets against PAPI), each once, at least one.
bool valid_events(const std::string& csv);
// The non-empty items of a comma list.
std::vector<std::string> split_list(const std::string& csv);

}  // namespace hpcmon::spank
